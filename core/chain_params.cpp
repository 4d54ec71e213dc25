#include "core/chain_params.h"

#include "core/objects.h"

namespace aergo {
namespace {

struct Bound {
  const char* name;
  int64_t ChainParams::*field;
  int64_t min;
  int64_t max;
};

// The ranges a genesis may choose from: each bound is at most what this
// build's decoders accept (docs/formats/objects.md, "Limits").
constexpr Bound kBounds[] = {
    {"rules", &ChainParams::rules, 0, 1'000'000},
    {"max_tx_bytes", &ChainParams::max_tx_bytes, 1024, 64ll << 20},
    {"max_value_bytes", &ChainParams::max_value_bytes, 64, static_cast<int64_t>(kMaxValueBytes)},
    {"max_call_write_bytes", &ChainParams::max_call_write_bytes, 1024, 1ll << 30},
    {"max_call_steps", &ChainParams::max_call_steps, 10'000, 10'000'000'000ll},
    {"max_block_txs", &ChainParams::max_block_txs, 1, kMaxBlockTxs},
    {"max_block_bytes", &ChainParams::max_block_bytes, 1 << 20, 16ll << 30},
};

}  // namespace

std::vector<Value> ChainParams::ToGenesisArgs() const {
  std::vector<Value> args = {Value::Text(consensus), Value::Integer(is_public ? 1 : 0)};
  for (const Bound& b : kBounds) args.push_back(Value::Integer(this->*b.field));
  return args;
}

Result<ChainParams> ChainParams::FromGenesisArgs(const std::vector<Value>& args) {
  constexpr size_t kLegacy = 2, kAll = 2 + std::size(kBounds);
  if ((args.size() != kLegacy && args.size() != kAll) || args[0].type != Value::Type::kText ||
      args[1].type != Value::Type::kInteger)
    return Invalid("genesis tx must carry (consensus TEXT, public INTEGER, rules INTEGER, " +
                   std::to_string(std::size(kBounds) - 1) + " bounds INTEGER)");
  ChainParams p;
  p.consensus = args[0].bytes;
  p.is_public = args[1].integer != 0;
  if (args.size() == kLegacy) {
    p.rules = 0;
    return p;
  }
  for (size_t i = 0; i < std::size(kBounds); ++i) {
    const Bound& b = kBounds[i];
    const Value& v = args[2 + i];
    if (v.type != Value::Type::kInteger)
      return Invalid(std::string("genesis parameter ") + b.name + " must be an INTEGER");
    if (v.integer < b.min || v.integer > b.max)
      return Invalid(std::string("genesis parameter ") + b.name + " is " + std::to_string(v.integer) +
                     ", allowed " + std::to_string(b.min) + ".." + std::to_string(b.max));
    p.*b.field = v.integer;
  }
  return p;
}

std::vector<std::pair<std::string, int64_t>> ChainParams::Named() const {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const Bound& b : kBounds) out.emplace_back(b.name, this->*b.field);
  return out;
}

bool ChainParams::Set(const std::string& name, int64_t value) {
  for (const Bound& b : kBounds) {
    if (name == b.name) {
      this->*b.field = value;
      return true;
    }
  }
  return false;
}

}  // namespace aergo
