// Errors of the Ethos-U model: one kind (the C API's code) and one line of text.
#pragma once

#include <stdexcept>
#include <string>

namespace ethos_u {

enum class ErrorKind {
    kBlob = 1,
    kCommandStream = 2,
    kMemory = 3,
    kUnsupported = 4,
    kArgument = 5,
};

class Error : public std::runtime_error {
  public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
    ErrorKind kind() const { return kind_; }

  private:
    ErrorKind kind_;
};

}  // namespace ethos_u
