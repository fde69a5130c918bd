#pragma once

#include "common/result.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QString>

namespace cd::store {

class Database;

struct NodeInfo
{
    QString id;
    QString address;
    QString version;
    QDateTime startedAt;
    QDateTime heartbeatAt;
    QHash<QString, int> active; // backend → jobs starting, running or cancelling on the node
    // Filled by NodeStore::overview() only.
    bool alive = false;  // a heartbeat within the node timeout
    bool leader = false; // holds the leader lease now
};

// Every node as seen at one moment of the database's clock.
struct NodesOverview
{
    QDateTime now;
    QList<NodeInfo> nodes;
};

// The nodes sharing a database and the leader lease (DESIGN §7). Times are the database's clock,
// so nodes whose clocks disagree still agree on who is alive.
class NodeStore final
{
public:
    explicit NodeStore(Database *db);

    // The database's current time.
    Result<QDateTime> now();
    // Records that `id` is alive at the database's current time; returns that time. The row stays
    // the process's that started at `startedAt`: when another process has taken it over since, this
    // is a Conflict and nothing is written — unless `takeOver` (the first beat of a process that
    // made sure the row's previous owner is gone).
    Result<QDateTime> beat(const QString &id, const QString &address, const QString &version,
                           const QDateTime &startedAt, bool takeOver = false);
    // One node's row; NotFound when it never heartbeat here.
    Result<NodeInfo> node(const QString &id);
    // Takes or renews the leader lease until `until`; true when `id` holds it. A lease another node
    // let expire before `now` is taken over.
    Result<bool> lead(const QString &id, const QDateTime &now, const QDateTime &until);
    // A node that stops on purpose: dead at once (its jobs are rescued at the leader's next look,
    // not after the timeout) and its lease, if it led, free.
    // Only the process that started at `startedAt` can leave under `id`.
    Status leave(const QString &id, const QDateTime &startedAt);
    // Every node that ever heartbeat here, with its active jobs.
    Result<QList<NodeInfo>> nodes();
    // nodes() at the database's current time: which are alive (a heartbeat within `timeoutS`) and
    // which one leads.
    Result<NodesOverview> overview(int timeoutS);
    // The secret `name` every node on this database uses: the first node to ask stores `proposed`,
    // later ones get that value back whatever they propose.
    Result<QByteArray> sharedSecret(const QString &name, const QByteArray &proposed);

private:
    Database *m_db;
};

} // namespace cd::store
