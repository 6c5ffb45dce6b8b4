#include "monitor/qom.h"
