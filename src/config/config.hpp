// Moved: the configuration is public (embedders build a Config).
#pragma once
#include <gatehouse/config/config.hpp>
