#include "util/u.h"
#include <stdio.h>
#include "local.h"
