// Short Value constructors for tests that spell out many rows.
#pragma once

#include <string>

#include "core/value.h"

namespace aergo::testutil {

inline Value I(int64_t v) { return Value::Integer(v); }
inline Value F(double v) { return Value::Real(v); }
inline Value T(std::string v) { return Value::Text(std::move(v)); }
inline Value B(std::string v) { return Value::Blob(std::move(v)); }
inline Value N() { return Value::Null(); }

}  // namespace aergo::testutil
