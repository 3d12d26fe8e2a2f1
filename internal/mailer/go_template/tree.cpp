#include <array>
#include <cstddef>
#include <memory>
#include <string_view>

#include "mailer/go_template/tree_internal.hpp"

namespace gotrue::mailer::go_template_internal {
namespace {

constexpr std::array<FuncSpec, 19> kFunctions{{
    {"and", Func::kAnd, 1, kVariadic},
    {"or", Func::kOr, 1, kVariadic},
    {"not", Func::kNot, 1, 1},
    {"eq", Func::kEq, 2, kVariadic},
    {"ne", Func::kNe, 2, 2},
    {"lt", Func::kLt, 2, 2},
    {"le", Func::kLe, 2, 2},
    {"gt", Func::kGt, 2, 2},
    {"ge", Func::kGe, 2, 2},
    {"len", Func::kLen, 1, 1},
    {"index", Func::kIndex, 1, kVariadic},
    {"html", Func::kHtml, 0, kVariadic},
    {"urlquery", Func::kUrlquery, 0, kVariadic},
    {"print", Func::kPrint, 0, kVariadic},
    {"println", Func::kPrintln, 0, kVariadic},
    {"printf", Func::kPrintf, 1, kVariadic},
    {"slice", Func::kSlice, 1, kVariadic},
    {"js", Func::kJs, 0, kVariadic},
    {"call", Func::kCall, 1, kVariadic},
}};

}  // namespace

const FuncSpec* FindFunction(std::string_view name) {
    for (const FuncSpec& spec : kFunctions) {
        if (spec.name == name) {
            return &spec;
        }
    }
    return nullptr;
}

const FuncSpec& SpecOf(Func func) {
    return kFunctions.at(static_cast<std::size_t>(func));
}

Expr::Expr(const Expr& other)
    : type(other.type),
      pos(other.pos),
      name(other.name),
      slot(other.slot),
      func(other.func),
      literal(other.literal),
      fields(other.fields),
      pipe(other.pipe ? std::make_unique<Pipeline>(*other.pipe) : nullptr) {}

Expr& Expr::operator=(const Expr& other) {
    if (this != &other) {
        *this = Expr(other);
    }
    return *this;
}

}  // namespace gotrue::mailer::go_template_internal
