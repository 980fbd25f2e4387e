/*
 * vm_asan.h - tell AddressSanitizer which bytes of RAM are dead.
 *
 * Core metadata and user pages live inside one big RAM array, so ASan on
 * its own cannot see a use of a freed slab object or of a freed frame.
 * Poisoning them closes that gap: a stale TLB entry, a dangling anon
 * pointer or a page freed while still mapped becomes an immediate ASan
 * report instead of silent corruption.  Compiles to nothing without ASan,
 * and declares the two runtime entry points itself so the core stays
 * freestanding.
 */
#ifndef MVM_VM_ASAN_H
#define MVM_VM_ASAN_H

#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define VM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VM_ASAN 1
#endif
#endif

#ifdef VM_ASAN
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);
#define VM_POISON(p, n) __asan_poison_memory_region((p), (n))
#define VM_UNPOISON(p, n) __asan_unpoison_memory_region((p), (n))
#else
#define VM_POISON(p, n) ((void)(p), (void)(n))
#define VM_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#endif
