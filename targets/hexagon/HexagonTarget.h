//===- HexagonTarget.h - the Qualcomm Hexagon DSP target --------*- C++ -*-===//
#ifndef LATHE_TARGETS_HEXAGON_HEXAGONTARGET_H
#define LATHE_TARGETS_HEXAGON_HEXAGONTARGET_H

#include "targets/Target.h"

namespace lathe {
std::unique_ptr<Target> createHexagonTarget();
} // namespace lathe

#endif // LATHE_TARGETS_HEXAGON_HEXAGONTARGET_H
