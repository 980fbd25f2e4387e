/*
 * verify.h - the reference model as an oracle for an executor (--verify).
 *
 * An executor (the simulator's replay loop, or a kernel's host side) runs
 * each admitted operation, then asks the oracle whether the events it
 * produced are the ones the spec requires.  The executor knows nothing
 * of the model: it holds a `struct replay_oracle` (src/sim/replay.h), a
 * table of these functions, so calls go down from the model to the
 * machine and never up.
 */
#ifndef MVM_MODEL_VERIFY_H
#define MVM_MODEL_VERIFY_H

#include "sim/replay.h"

/* The reference model as a replay oracle. */
extern const struct replay_oracle model_oracle;

#endif
