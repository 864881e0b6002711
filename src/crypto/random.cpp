#include "crypto/random.hpp"

#include <openssl/rand.h>

#include <climits>
#include <stdexcept>

#include "crypto/base64.hpp"

namespace gatehouse::crypto {

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  std::size_t done = 0;
  while (done < n) {
    const std::size_t chunk = std::min<std::size_t>(n - done, INT_MAX);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data() + done), static_cast<int>(chunk)) !=
        1)
      throw std::runtime_error("random number generator failure (RAND_bytes)");
    done += chunk;
  }
  return out;
}

std::string random_token(std::size_t bytes) {
  return base64url_encode(random_bytes(bytes));
}

}  // namespace gatehouse::crypto
