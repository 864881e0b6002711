#include "jose/roca.hpp"

#include <array>
#include <cstdint>

namespace gatehouse::jose {
namespace {

constexpr std::uint32_t kGenerator = 65537;
constexpr std::array<std::uint32_t, 38> kPrimes{
    3,  5,  7,  11, 13, 17,  19,  23,  29,  31,  37,  41,  43,  47,  53,  59,  61,  67,  71,
    73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};

// Whether `residue` is a power of 65537 modulo the prime `r`. Derived rather than tabulated; the
// masks below are roca-detect's published fingerprints for the first primes.
constexpr bool in_generated_subgroup(std::uint32_t r, std::uint64_t residue) {
  const std::uint32_t g = kGenerator % r;
  std::uint32_t x = 1;
  do {
    if (x == residue) return true;
    x = x * g % r;
  } while (x != 1);
  return false;
}

constexpr std::uint64_t subgroup_mask(std::uint32_t r) {
  std::uint64_t mask = 0;
  for (std::uint32_t residue = 0; residue < r; ++residue)
    if (in_generated_subgroup(r, residue)) mask |= std::uint64_t{1} << residue;
  return mask;
}
static_assert(subgroup_mask(3) == 6 && subgroup_mask(5) == 30 && subgroup_mask(7) == 126 &&
              subgroup_mask(11) == 1026 && subgroup_mask(13) == 5658 &&
              subgroup_mask(61) == 1455791217086302986);

}  // namespace

bool has_roca_fingerprint(const BIGNUM* modulus) {
  if (!modulus || BN_is_zero(modulus)) return false;
  for (const std::uint32_t r : kPrimes) {
    const BN_ULONG residue = BN_mod_word(modulus, r);
    if (residue == static_cast<BN_ULONG>(-1)) return false;  // OpenSSL failure
    if (!in_generated_subgroup(r, residue)) return false;
  }
  return true;
}

}  // namespace gatehouse::jose
