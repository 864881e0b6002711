// Moved: the gateway is public (embedders run it).
#pragma once
#include <gatehouse/gateway.hpp>
