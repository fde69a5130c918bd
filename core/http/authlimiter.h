#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QHostAddress>
#include <QString>

namespace cd::http {

struct AuthLimits
{
    // 20 wrong credentials in 60 s is far more than a worker or a person with a stale token makes
    // (they fail once per retry), yet it caps guessing at 20 tries a minute per address. 60 s of
    // cooling is short enough that an operator who mistyped the token is not locked out for long.
    int maxFailures = 20; // 0 turns the limiter off
    int windowMs = 60000;
    int coolingMs = 60000;
    // Addresses tracked at once: an attacker rotating addresses cannot grow the table past this.
    int maxTracked = 4096;
};

// Counts failed authentications per client address and refuses an address that failed too often
// for a cooling period. Failures are counted, not requests: successful requests cost nothing here.
// IPv6 clients are counted per /64, the block one host usually controls.
class AuthLimiter final
{
public:
    explicit AuthLimiter(AuthLimits limits = {});

    void setLimits(const AuthLimits &limits);
    AuthLimits limits() const { return m_limits; }
    // Milliseconds left of this address's cooling period; 0 when it may try.
    qint64 coolingLeftMs(const QHostAddress &address);
    // Records one failure; true when this failure started a cooling period.
    bool recordFailure(const QHostAddress &address);
    qsizetype trackedCount() const { return m_entries.size(); }

private:
    struct Entry
    {
        qint64 windowStart = 0;
        qint64 coolUntil = 0;
        qint64 lastFailure = 0;
        int failures = 0;
    };
    static QString keyOf(const QHostAddress &address);
    void makeRoom(qint64 now);

    AuthLimits m_limits;
    QHash<QString, Entry> m_entries;
    QElapsedTimer m_clock;
};

} // namespace cd::http
