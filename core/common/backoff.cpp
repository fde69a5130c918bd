#include "backoff.h"

#include <QRandomGenerator>
#include <QtGlobal>

namespace cd {

int backoffDelayMs(int attempt, int baseMs, int capMs, int retryAfterS)
{
    const qint64 ceiling = qMax<qint64>(1, qMin<qint64>(capMs, qint64(baseMs) << qBound(0, attempt, 16)));
    qint64 delay = QRandomGenerator::global()->bounded(ceiling / 2, ceiling + 1);
    if (retryAfterS > 0)
        delay = qMax<qint64>(delay, qMin<qint64>(retryAfterS * 1000LL, capMs));
    return static_cast<int>(delay);
}

} // namespace cd
