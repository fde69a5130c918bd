#include "authlimiter.h"

#include <limits>

namespace cd::http {

AuthLimiter::AuthLimiter(AuthLimits limits) : m_limits(limits)
{
    m_clock.start();
}

void AuthLimiter::setLimits(const AuthLimits &limits)
{
    m_limits = limits;
    m_entries.clear();
}

QString AuthLimiter::keyOf(const QHostAddress &address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    if (isV4)
        return QHostAddress(v4).toString();
    Q_IPV6ADDR v6 = address.toIPv6Address();
    for (int i = 8; i < 16; ++i)
        v6[i] = 0;
    return QHostAddress(v6).toString() + QStringLiteral("/64");
}

qint64 AuthLimiter::coolingLeftMs(const QHostAddress &address)
{
    if (m_limits.maxFailures <= 0)
        return 0;
    const auto it = m_entries.constFind(keyOf(address));
    if (it == m_entries.cend())
        return 0;
    return qMax<qint64>(0, it->coolUntil - m_clock.elapsed());
}

bool AuthLimiter::recordFailure(const QHostAddress &address)
{
    if (m_limits.maxFailures <= 0)
        return false;
    const qint64 now = m_clock.elapsed();
    const QString key = keyOf(address);
    if (!m_entries.contains(key) && m_entries.size() >= m_limits.maxTracked)
        makeRoom(now);
    Entry &e = m_entries[key];
    if (e.failures == 0 || now - e.windowStart >= m_limits.windowMs) {
        e.windowStart = now;
        e.failures = 0;
    }
    e.lastFailure = now;
    if (++e.failures < m_limits.maxFailures)
        return false;
    e.coolUntil = now + m_limits.coolingMs;
    // The next window starts after the cooling period: the count begins again from zero.
    e.failures = 0;
    return true;
}

void AuthLimiter::makeRoom(qint64 now)
{
    // Forget entries that neither cool nor can still reach the limit; if every entry is live, drop
    // the one whose last failure is oldest (an address still cooling is kept as long as possible).
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        const bool cooling = it->coolUntil > now;
        const bool windowOpen = it->failures > 0 && now - it->windowStart < m_limits.windowMs;
        it = cooling || windowOpen ? std::next(it) : m_entries.erase(it);
    }
    while (m_entries.size() >= m_limits.maxTracked) {
        auto victim = m_entries.end();
        qint64 oldest = std::numeric_limits<qint64>::max();
        for (auto it = m_entries.begin(); it != m_entries.end(); ++it) {
            // Non-cooling entries go first.
            const qint64 rank =
                it->coolUntil > now ? it->lastFailure + m_limits.windowMs + m_limits.coolingMs : it->lastFailure;
            if (rank < oldest) {
                oldest = rank;
                victim = it;
            }
        }
        if (victim == m_entries.end())
            break;
        m_entries.erase(victim);
    }
}

} // namespace cd::http
