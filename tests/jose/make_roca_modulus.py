#!/usr/bin/env python3
"""Builds the ROCA-vulnerable test modulus of tests/jose/roca_test.cpp the way Infineon's RSALib
made its primes (Nemec et al. 2017, "The Return of Coppersmith's Attack"): p = k*M + (65537^a mod
M), M the product of the first 126 primes (RSALib's M for 2048-bit keys), k and a random. Prints
M's size, whether the modulus has the fingerprint, the modulus, and how likely a random modulus
is to have it. Deterministic (fixed seed); python3 only."""
import random, math
random.seed(20171016)
def small_primes(n):
    out=[]; c=2
    while len(out)<n:
        if all(c%q for q in out if q*q<=c): out.append(c)
        c+=1
    return out
def is_probable_prime(n):
    if n<2: return False
    for q in small_primes(50):
        if n%q==0: return n==q
    d=n-1; s=0
    while d%2==0: d//=2; s+=1
    for _ in range(40):
        a=random.randrange(2,n-2); x=pow(a,d,n)
        if x in (1,n-1): continue
        for _ in range(s-1):
            x=x*x%n
            if x==n-1: break
        else: return False
    return True
M=math.prod(small_primes(126))
def rsalib_prime(bits):
    while True:
        a=random.randrange(1, 2**62)
        base=pow(65537,a,M)
        kbits=bits-M.bit_length()
        k=random.randrange(2**(kbits-1)+2**(kbits-2), 2**kbits)
        p=k*M+base
        if p.bit_length()==bits and is_probable_prime(p): return p
while True:
    p=rsalib_prime(1024); q=rsalib_prime(1024); n=p*q
    if n.bit_length()==2048: break
primes=[3,5,7,11,13,17,19,23,29,31,37,41,43,47,53,59,61,67,71,73,79,83,89,97,101,103,107,109,113,127,131,137,139,149,151,157,163,167]
def insub(p,r):
    g=65537%p; x=1
    while True:
        if x==r: return True
        x=x*g%p
        if x==1: return False
print(M.bit_length(), all(insub(pr,n%pr) for pr in primes))
print(hex(n))
frac=1.0
for pr in primes:
    g=65537%pr; x=1; c=0
    while True:
        c+=1; x=x*g%pr
        if x==1: break
    frac*=c/pr
print("random modulus matches with probability", frac, math.log2(frac))
