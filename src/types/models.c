/* models.c - release and JSON helpers for the run's data. */
#include <stdlib.h>
#include "types/models.h"
#include "util/buf.h"

void analysis_release(struct analysis *a)
{
	free(a->description);
	free(a->mood);
	strv_release(&a->tags);
	strv_release(&a->safety_labels);
	free(a->subject);
	free(a->style);
	free(a->lighting);
	free(a->camera);
	strv_release(&a->clothing_or_accessories);
	strv_release(&a->aesthetic_terms);
	free(a->pose);
	free(a->composition);
	free(a->background);
	free(a->color_palette);
	free(a->alt_text);
	*a = (struct analysis){ 0 };
}

static json_t *str_or_empty(const char *s)
{
	return json_string(s ? s : "");
}

static json_t *strv_json(const struct strv *sv)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < sv->n; i++)
		json_array_append_new(arr, json_string(sv->v[i]));
	return arr;
}

json_t *analysis_to_json(const struct analysis *a)
{
	json_t *o = json_object();
	json_object_set_new(o, "description", str_or_empty(a->description));
	json_object_set_new(o, "mood", str_or_empty(a->mood));
	json_object_set_new(o, "tags", strv_json(&a->tags));
	json_object_set_new(o, "nsfw", json_boolean(a->nsfw));
	json_object_set_new(o, "safety_labels", strv_json(&a->safety_labels));
	json_object_set_new(o, "subject", str_or_empty(a->subject));
	json_object_set_new(o, "style", str_or_empty(a->style));
	json_object_set_new(o, "lighting", str_or_empty(a->lighting));
	json_object_set_new(o, "camera", str_or_empty(a->camera));
	json_object_set_new(o, "clothing_or_accessories", strv_json(&a->clothing_or_accessories));
	json_object_set_new(o, "aesthetic_terms", strv_json(&a->aesthetic_terms));
	json_object_set_new(o, "pose", str_or_empty(a->pose));
	json_object_set_new(o, "composition", str_or_empty(a->composition));
	json_object_set_new(o, "background", str_or_empty(a->background));
	json_object_set_new(o, "color_palette", str_or_empty(a->color_palette));
	json_object_set_new(o, "alt_text", str_or_empty(a->alt_text));
	return o;
}

void caption_result_release(struct caption_result *c)
{
	free(c->caption);
	free(c->sd_caption);
	free(c->model);
	*c = (struct caption_result){ 0 };
}

void publish_result_release(struct publish_result *r)
{
	free(r->post_id);
	free(r->url);
	*r = (struct publish_result){ 0 };
}

/* A string member that is not empty, copied; NULL otherwise. */
static char *str_of(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v && *v ? xstrdup(v) : NULL;
}

static void strv_of(const json_t *o, const char *key, struct strv *sv)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(o, key), i, v)
		if (json_is_string(v))
			strv_push(sv, json_string_value(v));
}

int analysis_load_json(const json_t *o, struct analysis *a)
{
	*a = (struct analysis){ 0 };
	if (!json_is_object(o))
		return -1;
	a->description = str_of(o, "description");
	a->mood = str_of(o, "mood");
	strv_of(o, "tags", &a->tags);
	a->nsfw = json_is_true(json_object_get(o, "nsfw"));
	strv_of(o, "safety_labels", &a->safety_labels);
	a->subject = str_of(o, "subject");
	a->style = str_of(o, "style");
	a->lighting = str_of(o, "lighting");
	a->camera = str_of(o, "camera");
	strv_of(o, "clothing_or_accessories", &a->clothing_or_accessories);
	strv_of(o, "aesthetic_terms", &a->aesthetic_terms);
	a->pose = str_of(o, "pose");
	a->composition = str_of(o, "composition");
	a->background = str_of(o, "background");
	a->color_palette = str_of(o, "color_palette");
	a->alt_text = str_of(o, "alt_text");
	return 0;
}
