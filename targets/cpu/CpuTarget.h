//===- CpuTarget.h - the host CPU target ------------------------*- C++ -*-===//
#ifndef LATHE_TARGETS_CPU_CPUTARGET_H
#define LATHE_TARGETS_CPU_CPUTARGET_H

#include "targets/Target.h"

namespace lathe {
std::unique_ptr<Target> createCpuTarget();
} // namespace lathe

#endif // LATHE_TARGETS_CPU_CPUTARGET_H
