#include "web/w.h"
#include "util/u.h"
