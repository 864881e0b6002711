#pragma once
#include <gatehouse/config/units.hpp>
