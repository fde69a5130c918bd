#include "clienterror.h"

namespace cd::client {

QString ClientError::describe() const
{
    switch (kind) {
    case Kind::Network: return QStringLiteral("server unreachable: %1").arg(detail);
    case Kind::Timeout: return QStringLiteral("server did not answer in time: %1").arg(detail);
    case Kind::Http: {
        const QString name = code.isEmpty() ? QStringLiteral("HTTP error") : QString(code).replace(u'_', u' ');
        return detail.isEmpty() ? QStringLiteral("%1 (%2)").arg(name).arg(status)
                                : QStringLiteral("%1 (%2): %3").arg(name).arg(status).arg(detail);
    }
    case Kind::Incompatible: return QStringLiteral("incompatible server: %1").arg(detail);
    case Kind::BadResponse: return QStringLiteral("unexpected answer from the server: %1").arg(detail);
    case Kind::Io: return QStringLiteral("cannot write: %1").arg(detail);
    case Kind::Integrity: return QStringLiteral("download corrupt: %1").arg(detail);
    case Kind::Cancelled: return QStringLiteral("cancelled");
    case Kind::Tls: return QStringLiteral("TLS refused: %1").arg(detail);
    }
    return detail;
}

} // namespace cd::client
