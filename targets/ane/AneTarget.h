//===- AneTarget.h - the Apple Neural Engine target -------------*- C++ -*-===//
#ifndef LATHE_TARGETS_ANE_ANETARGET_H
#define LATHE_TARGETS_ANE_ANETARGET_H

#include "targets/Target.h"

namespace lathe {
std::unique_ptr<Target> createAneTarget();
} // namespace lathe

#endif // LATHE_TARGETS_ANE_ANETARGET_H
