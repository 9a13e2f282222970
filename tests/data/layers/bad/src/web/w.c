#include "util/u.h"
#include "core/a.h"
#include "gone/x.h"
