// JobStore: claims and fencing (DESIGN §7) — how nodes sharing a database take queued jobs, hand
// them over when a node is lost, and refuse the writes of a node that no longer holds a job.
#include "jobrows.h"
#include "jobstore.h"

#include "database.h"
#include "sqldialect.h"

#include <QSqlQuery>
#include <QSqlRecord>
#include <QVariant>

#include <algorithm>

namespace cd::store {

using model::Job;
using model::JobStatus;
using Code = Error::Code;
using namespace rows;

QString JobStore::fence(const QString &id, QVariantList &values) const
{
    const auto held = m_claims.constFind(id);
    if (held == m_claims.cend())
        return {};
    values << m_node << held.value();
    return QStringLiteral(" AND node = ? AND claim = ?");
}

bool JobStore::checkFenced(const QString &id)
{
    const auto held = m_claims.constFind(id);
    if (held == m_claims.cend())
        return false;
    auto q = m_db->run(QStringLiteral("SELECT node, claim FROM jobs WHERE id = ?"), {id}, "checking a job's claim");
    if (!q || !q.value().next())
        return false; // unreadable: not proof that another node has it
    if (q.value().value(0).toString() == m_node && q.value().value(1).toLongLong() == held.value())
        return false;
    m_claims.remove(id);
    Q_EMIT fencedOut(id);
    return true;
}

QList<Job> JobStore::claimedList(QSqlQuery &q)
{
    QList<Job> out;
    while (q.next()) {
        Job j = jobFromQuery(q);
        m_claims.insert(j.id, q.value(q.record().count() - 1).toLongLong());
        m_known.insert(j.id);
        out.append(j);
    }
    // RETURNING gives no order: start them in queue order.
    std::stable_sort(out.begin(), out.end(), [](const Job &a, const Job &b) {
        return a.priority != b.priority ? a.priority > b.priority : a.createdAt < b.createdAt;
    });
    for (const Job &j : std::as_const(out))
        Q_EMIT jobChanged(j);
    return out;
}

Result<QList<Job>> JobStore::claim(model::Backend backend, int limit, int globalLimit)
{
    if (limit <= 0)
        return QList<Job>{};
    const bool pg = m_db->dialect().name() == u"postgresql";
    const QString backendName = model::toString(backend);
    // A cap across nodes needs the count and the claim to see one state: one transaction, and on
    // PostgreSQL a lock per backend held until commit (claims without a cap never wait for it).
    const bool capped = globalLimit > 0;
    if (capped) {
        if (!m_db->db().transaction())
            return Error::make(Code::Unavailable, QStringLiteral("cannot begin a claim transaction"));
        auto rollback = [this](Error e) {
            m_db->db().rollback();
            return e;
        };
        if (pg) {
            if (auto l = m_db->run(QStringLiteral("SELECT pg_advisory_xact_lock(hashtext(?))"),
                                   {QString(QStringLiteral("crawldeck.claim.") + backendName)},
                                   "locking the claim of a backend");
                !l)
                return rollback(l.error());
        }
        auto n = m_db->run(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE backend = ? AND status IN "
                                          "('starting', 'running', 'cancelling')"),
                           {backendName}, "counting a backend's active jobs");
        if (!n)
            return rollback(n.error());
        const int active = n.value().next() ? n.value().value(0).toInt() : 0;
        limit = qMin(limit, globalLimit - active);
        if (limit <= 0) {
            m_db->db().commit();
            return QList<Job>{};
        }
    }
    // The CTE fixes the LIMIT before the UPDATE; SKIP LOCKED lets nodes claim side by side without
    // waiting on each other's rows. SQLite runs the same statement with its writers serialised.
    auto q = m_db->run(QStringLiteral("WITH c AS (SELECT id AS cid FROM jobs WHERE status = 'queued' AND backend = ? "
                                      "ORDER BY priority DESC, queue_seq LIMIT ?") +
                           (pg ? QStringLiteral(" FOR UPDATE SKIP LOCKED") : QString()) +
                           QStringLiteral(") UPDATE jobs SET status = 'starting', node = ?, claim = claim + 1, "
                                          "updated_at = ? FROM c WHERE jobs.id = c.cid RETURNING ") +
                           kJobColumns + QStringLiteral(", claim"),
                       {backendName, limit, nullable(m_node), nowIso()}, "claiming queued jobs");
    if (!q) {
        if (capped)
            m_db->db().rollback();
        return q.error();
    }
    QSqlQuery rows = std::move(q.value());
    auto out = claimedList(rows);
    rows.finish();
    if (capped && !m_db->db().commit())
        return Error::make(Code::Unavailable, QStringLiteral("cannot commit a claim"));
    return out;
}

Result<Job> JobStore::claimOne(const QString &id)
{
    auto q = m_db->run(QStringLiteral("UPDATE jobs SET status = 'starting', node = ?, claim = claim + 1, "
                                      "updated_at = ? WHERE id = ? AND status = 'queued' RETURNING ") +
                           kJobColumns + QStringLiteral(", claim"),
                       {nullable(m_node), nowIso(), id}, "claiming a job");
    if (!q)
        return q.error();
    const auto out = claimedList(q.value());
    if (out.isEmpty())
        return Error::make(Code::Conflict, QStringLiteral("job %1 is no longer queued").arg(id));
    return out.first();
}

Result<QList<ClaimedJob>> JobStore::activeWhere(const QString &condition, const QVariantList &values) const
{
    auto q = m_db->run(QStringLiteral("SELECT ") + kJobColumns +
                           QStringLiteral(", claim FROM jobs WHERE status IN ('starting', 'running', 'cancelling') "
                                          "AND ") +
                           condition + QStringLiteral(" ORDER BY queue_seq"),
                       values, "listing active jobs");
    if (!q)
        return q.error();
    QList<ClaimedJob> out;
    while (q.value().next())
        out.append({jobFromQuery(q.value()), q.value().value(q.value().record().count() - 1).toLongLong()});
    return out;
}

Result<QList<ClaimedJob>> JobStore::orphans(const QString &aliveSince) const
{
    return activeWhere(QStringLiteral("(node IS NULL OR node NOT IN (SELECT id FROM nodes WHERE heartbeat_at >= ?))"),
                       {aliveSince});
}

Result<QList<ClaimedJob>> JobStore::heldBy(const QString &node) const
{
    return activeWhere(QStringLiteral("(node IS NULL OR node = ?)"), {node});
}

Result<Job> JobStore::takeOver(const ClaimedJob &held, std::optional<JobStatus> to, const JobPatch &patch, bool adopt)
{
    const QString now = nowIso();
    QStringList sets{QStringLiteral("claim = claim + 1"), QStringLiteral("updated_at = ?")};
    QVariantList values{now};
    if (to) {
        if (!model::canTransition(held.job.status, *to))
            return Error::make(Code::Conflict,
                               QStringLiteral("job %1 cannot go from %2 to %3")
                                   .arg(held.job.id, model::toString(held.job.status), model::toString(*to)));
        sets << QStringLiteral("status = ?");
        values << model::toString(*to);
        if (model::isTerminal(*to)) {
            sets << QStringLiteral("finished_at = ?");
            values << now;
        }
    }
    JobPatch p = patch;
    if (adopt)
        p.node = m_node;
    addPatch(p, sets, values);
    values << held.job.id << model::toString(held.job.status) << held.claim;
    QString where = QStringLiteral(" WHERE id = ? AND status = ? AND claim = ? AND node ");
    if (held.job.node.isEmpty()) {
        where += QStringLiteral("IS NULL");
    } else {
        where += QStringLiteral("= ?");
        values << held.job.node;
    }
    const auto q = m_db->run(QStringLiteral("UPDATE jobs SET ") + sets.join(QStringLiteral(", ")) + where, values,
                             "taking over a job");
    if (!q)
        return q.error();
    if (q.value().numRowsAffected() != 1)
        return Error::make(Code::Conflict, QStringLiteral("job %1 changed hands concurrently").arg(held.job.id));
    if (adopt && !(to && model::isTerminal(*to)))
        m_claims.insert(held.job.id, held.claim + 1);
    return changed(held.job.id);
}

QStringList JobStore::lostClaims()
{
    QStringList lost;
    if (m_claims.isEmpty())
        return lost;
    QStringList marks;
    QVariantList values{m_node};
    for (auto it = m_claims.cbegin(); it != m_claims.cend(); ++it) {
        marks << QStringLiteral("?");
        values << it.key();
    }
    auto q =
        m_db->run(QStringLiteral("SELECT id, claim FROM jobs WHERE node = ? AND id IN (") + marks.join(u',') + u')',
                  values, "checking this node's claims");
    if (!q)
        return lost; // cannot tell: keep them
    QHash<QString, qint64> current;
    while (q.value().next())
        current.insert(q.value().value(0).toString(), q.value().value(1).toLongLong());
    for (auto it = m_claims.begin(); it != m_claims.end();) {
        if (current.value(it.key(), -1) != it.value()) {
            lost << it.key();
            it = m_claims.erase(it);
        } else {
            ++it;
        }
    }
    return lost;
}

QStringList JobStore::cancelRequested() const
{
    QStringList out;
    auto q = m_db->run(QStringLiteral("SELECT id FROM jobs WHERE node = ? AND status = 'cancelling'"), {m_node},
                       "looking for cancel requests");
    if (q)
        while (q.value().next())
            out << q.value().value(0).toString();
    return out;
}

} // namespace cd::store
