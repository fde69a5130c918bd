#pragma once

#include <QString>

#include <utility>
#include <variant>

namespace cd {

// One error vocabulary for the whole core; the HTTP layer maps codes to status codes in one place
// (http/httperrors.cpp) and the GUI shows `detail` as is.
struct Error
{
    enum class Code {
        InvalidArgument,  // malformed request: 400
        Unauthorized,     // no or bad credentials: 401
        Forbidden,        // credentials that do not cover this job: 403
        NotFound,         // unknown job, artifact, route: 404
        MethodNotAllowed, // 405
        Conflict,         // illegal status transition, job already terminal: 409
        PayloadTooLarge,  // 413
        UnsupportedMedia, // 415
        Unprocessable,    // well-formed but semantically invalid: 422
        TooManyRequests,  // an address that keeps failing authentication, while it cools down: 429
        Unavailable,      // backend not configured, storage down: 503
        Internal,         // a bug or an unexpected SQL failure: 500
    };
    Code code = Code::Internal;
    QString detail;

    static Error make(Code c, QString d) { return Error{c, std::move(d)}; }
};

QString errorCodeName(Error::Code code);

// A small expected<T, E>: the toolchain's standard library has no std::expected in C++20.
template<typename T, typename E = Error> class Result
{
public:
    Result(T value) : m_v(std::move(value)) {}
    Result(E error) : m_v(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(m_v); }
    explicit operator bool() const { return ok(); }
    bool has_value() const { return ok(); } // as std::optional, which several reads returned before
    const T &value() const & { return std::get<T>(m_v); }
    T &value() & { return std::get<T>(m_v); }
    T &&value() && { return std::get<T>(std::move(m_v)); }
    const T *operator->() const { return &std::get<T>(m_v); }
    const T &operator*() const { return std::get<T>(m_v); }
    const E &error() const { return std::get<E>(m_v); }
    T value_or(T fallback) const & { return ok() ? value() : std::move(fallback); }
    T value_or(T fallback) && { return ok() ? std::get<T>(std::move(m_v)) : std::move(fallback); }

private:
    std::variant<T, E> m_v;
};

struct Ok
{};
using Status = Result<Ok>;

} // namespace cd
