#include "nodestore.h"

#include "database.h"
#include "model/job.h"
#include "sqldialect.h"

#include <QSqlQuery>
#include <QTimeZone>
#include <QVariant>

namespace cd::store {

using Code = Error::Code;

namespace {

QDateTime parseIso(const QString &s)
{
    QDateTime t = QDateTime::fromString(s, Qt::ISODateWithMs);
    t.setTimeZone(QTimeZone::utc());
    return t;
}

// A database error here means the node cannot tell whether it is alive: that is "unavailable".
Error unavailable(const Error &e)
{
    return Error::make(Code::Unavailable, e.detail);
}

// A null QString binds as SQL NULL; these columns hold text, empty when unknown.
QString text(const QString &s)
{
    return s.isNull() ? QStringLiteral("") : s;
}

} // namespace

NodeStore::NodeStore(Database *db) : m_db(db) {}

Result<QDateTime> NodeStore::now()
{
    // ISO text like every other time in the schema (it sorts in time order).
    const QString sql = m_db->dialect().name() == u"postgresql"
                            ? QStringLiteral("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                                             "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
                            : QStringLiteral("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')");
    auto q = m_db->run(sql, {}, "reading the database clock");
    if (!q)
        return unavailable(q.error());
    if (!q.value().next())
        return Error::make(Code::Unavailable, QStringLiteral("the database did not tell its time"));
    const QDateTime t = parseIso(q.value().value(0).toString());
    if (!t.isValid())
        return Error::make(Code::Unavailable,
                           QStringLiteral("cannot read the database time '%1'").arg(q.value().value(0).toString()));
    return t;
}

Result<QDateTime> NodeStore::beat(const QString &id, const QString &address, const QString &version,
                                  const QDateTime &startedAt, bool takeOver)
{
    const auto t = now();
    if (!t)
        return t;
    // The start time (ms) tells two processes under one id apart.
    const QString sql = QStringLiteral("INSERT INTO nodes (id, address, version, started_at, heartbeat_at) "
                                       "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                                       "address = excluded.address, version = excluded.version, "
                                       "started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at") +
                        (takeOver ? QString() : QStringLiteral(" WHERE nodes.started_at = excluded.started_at"));
    auto q = m_db->run(sql, {id, text(address), text(version), model::isoUtc(startedAt), model::isoUtc(t.value())},
                       "recording a heartbeat");
    if (!q)
        return unavailable(q.error());
    if (q.value().numRowsAffected() == 0) {
        const auto other = node(id);
        const QString who =
            other ? QStringLiteral(" (started %1 at %2)")
                        .arg(model::isoUtc(other->startedAt),
                             other->address.isEmpty() ? QStringLiteral("an unknown address") : other->address)
                  : QString();
        return Error::make(Code::Conflict, QStringLiteral("another process took over node id '%1'%2").arg(id, who));
    }
    return t;
}

Result<NodeInfo> NodeStore::node(const QString &id)
{
    auto q = m_db->run(QStringLiteral("SELECT address, version, started_at, heartbeat_at FROM nodes WHERE id = ?"),
                       {id}, "reading a node");
    if (!q)
        return unavailable(q.error());
    if (!q.value().next())
        return Error::make(Code::NotFound, QStringLiteral("no node '%1'").arg(id));
    NodeInfo n;
    n.id = id;
    n.address = q.value().value(0).toString();
    n.version = q.value().value(1).toString();
    n.startedAt = parseIso(q.value().value(2).toString());
    n.heartbeatAt = parseIso(q.value().value(3).toString());
    return n;
}

Result<bool> NodeStore::lead(const QString &id, const QDateTime &now, const QDateTime &until)
{
    // One compare-and-set: the holder renews, anyone takes an expired lease; never two holders.
    auto q = m_db->run(QStringLiteral("UPDATE leases SET holder = ?, expires_at = ? "
                                      "WHERE name = 'leader' AND (holder = ? OR expires_at < ?)"),
                       {id, model::isoUtc(until), id, model::isoUtc(now)}, "renewing the leader lease");
    if (!q)
        return unavailable(q.error());
    return q.value().numRowsAffected() == 1;
}

Status NodeStore::leave(const QString &id, const QDateTime &startedAt)
{
    // '' sorts before every time: older than any cut-off.
    auto n = m_db->run(QStringLiteral("UPDATE nodes SET heartbeat_at = '' WHERE id = ? AND started_at = ?"),
                       {id, model::isoUtc(startedAt)}, "leaving the nodes");
    if (!n)
        return unavailable(n.error());
    if (n.value().numRowsAffected() == 0)
        return Ok{}; // the row is another process's: leave it, and its lease, alone
    auto l = m_db->run(QStringLiteral("UPDATE leases SET expires_at = '' WHERE name = 'leader' AND holder = ?"), {id},
                       "giving up the leader lease");
    if (!l)
        return unavailable(l.error());
    return Ok{};
}

Result<QList<NodeInfo>> NodeStore::nodes()
{
    auto q = m_db->run(QStringLiteral("SELECT id, address, version, started_at, heartbeat_at FROM nodes ORDER BY id"),
                       {}, "listing nodes");
    if (!q)
        return unavailable(q.error());
    QList<NodeInfo> out;
    QHash<QString, qsizetype> index;
    while (q.value().next()) {
        NodeInfo n;
        n.id = q.value().value(0).toString();
        n.address = q.value().value(1).toString();
        n.version = q.value().value(2).toString();
        n.startedAt = parseIso(q.value().value(3).toString());
        n.heartbeatAt = parseIso(q.value().value(4).toString());
        index.insert(n.id, out.size());
        out.append(n);
    }
    auto c = m_db->run(QStringLiteral("SELECT node, backend, COUNT(*) FROM jobs WHERE status IN "
                                      "('starting', 'running', 'cancelling') AND node IS NOT NULL "
                                      "GROUP BY node, backend"),
                       {}, "counting active jobs per node");
    if (!c)
        return unavailable(c.error());
    while (c.value().next()) {
        const auto at = index.constFind(c.value().value(0).toString());
        if (at != index.cend())
            out[at.value()].active.insert(c.value().value(1).toString(), c.value().value(2).toInt());
    }
    return out;
}

Result<NodesOverview> NodeStore::overview(int timeoutS)
{
    const auto t = now();
    if (!t)
        return t.error();
    auto list = nodes();
    if (!list)
        return list.error();
    // An expired lease leads nobody: its holder may be gone.
    auto l = m_db->run(QStringLiteral("SELECT holder FROM leases WHERE name = 'leader' AND expires_at >= ?"),
                       {model::isoUtc(t.value())}, "reading the leader lease");
    if (!l)
        return unavailable(l.error());
    const QString leader = l.value().next() ? l.value().value(0).toString() : QString();
    const QDateTime cutoff = t.value().addSecs(-timeoutS);
    NodesOverview out{t.value(), list.value()};
    for (NodeInfo &n : out.nodes) {
        // A node that left on purpose has no heartbeat time at all.
        n.alive = n.heartbeatAt.isValid() && n.heartbeatAt >= cutoff;
        n.leader = !leader.isEmpty() && n.id == leader;
    }
    return out;
}

Result<QByteArray> NodeStore::sharedSecret(const QString &name, const QByteArray &proposed)
{
    // Insert-if-absent then read, so two nodes starting at once still agree on one value.
    auto in = m_db->run(QStringLiteral("INSERT INTO shared_secrets (name, value) VALUES (?, ?) "
                                       "ON CONFLICT (name) DO NOTHING"),
                        {name, QString::fromLatin1(proposed)}, "storing a shared secret");
    if (!in)
        return unavailable(in.error());
    auto q =
        m_db->run(QStringLiteral("SELECT value FROM shared_secrets WHERE name = ?"), {name}, "reading a shared secret");
    if (!q)
        return unavailable(q.error());
    if (!q.value().next())
        return Error::make(Code::Unavailable, QStringLiteral("the shared secret '%1' was not stored").arg(name));
    return q.value().value(0).toString().toLatin1();
}

} // namespace cd::store
