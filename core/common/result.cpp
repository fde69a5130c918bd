#include "result.h"

namespace cd {

QString errorCodeName(Error::Code code)
{
    switch (code) {
    case Error::Code::InvalidArgument: return QStringLiteral("invalid_argument");
    case Error::Code::Unauthorized: return QStringLiteral("unauthorized");
    case Error::Code::Forbidden: return QStringLiteral("forbidden");
    case Error::Code::NotFound: return QStringLiteral("not_found");
    case Error::Code::MethodNotAllowed: return QStringLiteral("method_not_allowed");
    case Error::Code::Conflict: return QStringLiteral("conflict");
    case Error::Code::PayloadTooLarge: return QStringLiteral("payload_too_large");
    case Error::Code::UnsupportedMedia: return QStringLiteral("unsupported_media_type");
    case Error::Code::Unprocessable: return QStringLiteral("unprocessable");
    case Error::Code::TooManyRequests: return QStringLiteral("too_many_requests");
    case Error::Code::Unavailable: return QStringLiteral("unavailable");
    case Error::Code::Internal: break;
    }
    return QStringLiteral("internal");
}

} // namespace cd
