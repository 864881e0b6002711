#pragma once
#include <gatehouse/oidc/token_auth.hpp>
