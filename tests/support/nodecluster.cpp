#include "nodecluster.h"

#include "pgcluster.h"
#include "testutil.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QTimeZone>
#include <QUrl>
#include <QUuid>

#include <algorithm>

namespace cdtest {

NodeProcess::NodeProcess(QString binary, QString id, const QString &database, QString dataDir, const QStringList &extra,
                         QProcessEnvironment env)
    : m_id(std::move(id))
    , m_node(std::move(binary), std::move(dataDir), kToken,
             QStringList{QStringLiteral("--database"), database, QStringLiteral("--node-id"), m_id} + extra,
             std::move(env))
{}

SqlProbe::SqlProbe(const QString &url) : m_name(QUuid::createUuid().toString())
{
    const QUrl u(url);
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), m_name);
    db.setHostName(u.host());
    db.setPort(u.port());
    db.setUserName(u.userName());
    db.setDatabaseName(u.path().mid(1));
    db.open();
}

SqlProbe::~SqlProbe()
{
    QSqlDatabase::removeDatabase(m_name);
}

QList<QVariantList> SqlProbe::rows(const QString &sql, const QVariantList &values) const
{
    QList<QVariantList> out;
    QSqlQuery q(QSqlDatabase::database(m_name));
    q.prepare(sql);
    for (const auto &v : values)
        q.addBindValue(v);
    if (!q.exec())
        return out;
    while (q.next()) {
        QVariantList row;
        for (int i = 0; i < q.record().count(); ++i)
            row << q.value(i);
        out << row;
    }
    return out;
}

bool SqlProbe::exec(const QString &sql) const
{
    return QSqlQuery(QSqlDatabase::database(m_name)).exec(sql);
}

int SqlProbe::scalar(const QString &sql, const QVariantList &values) const
{
    const auto r = rows(sql, values);
    return r.isEmpty() ? -1 : r.first().value(0).toInt();
}

namespace {

QDateTime isoTime(const QVariant &v)
{
    QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    t.setTimeZone(QTimeZone::utc());
    return t;
}

double percentile(QList<double> v, double p)
{
    if (v.isEmpty())
        return 0;
    std::sort(v.begin(), v.end());
    return v.at(std::min<qsizetype>(v.size() - 1, static_cast<qsizetype>(p * static_cast<double>(v.size()))));
}

} // namespace

bool queueJobs(const SqlProbe &sql, int jobs, const QString &profile)
{
    // Test-controlled text only: the profile name goes into a JSON literal.
    return sql.exec(QStringLiteral("INSERT INTO jobs (id, kind, backend, status, priority, params, progress, attempt, "
                                   "max_attempts, timeout_s, created_at, queued_at, updated_at, log_count, queue_seq) "
                                   "SELECT gen_random_uuid()::text, 'crawl', 'local', 'queued', 0, "
                                   "'{\"profile\":\"%2\"}', 0, 1, 1, 0, t, t, t, 0, nextval('jobs_queue_seq') "
                                   "FROM generate_series(1, %1), (SELECT to_char(now() AT TIME ZONE 'UTC', "
                                   "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS t) AS now_text")
                        .arg(jobs)
                        .arg(profile));
}

NoOpRun runNoOps(const QString &binary, int nodeCount, int jobs, int slotsPerNode, bool preQueued)
{
    NoOpRun out;
    const QString url = PgCluster::instance().createDatabase();
    QTemporaryDir dir;
    const QString starts = dir.filePath(QStringLiteral("starts.txt"));
    const QStringList extra{QStringLiteral("--local-profile"),
                            QStringLiteral("noop=sh -c 'echo {job_id} >> ") + starts + u'\'',
                            QStringLiteral("--local-slots"), QString::number(slotsPerNode)};
    std::vector<std::unique_ptr<NodeProcess>> nodes;
    for (int i = 0; i < nodeCount; ++i) {
        nodes.push_back(std::make_unique<NodeProcess>(binary, QStringLiteral("node-%1").arg(i + 1), url,
                                                      dir.filePath(QStringLiteral("n%1").arg(i + 1)), extra));
        if (nodes.back()->port() == 0) {
            out.error = QStringLiteral("node %1 did not start: %2")
                            .arg(i + 1)
                            .arg(QString::fromUtf8(nodes.back()->stderrText()));
            return out;
        }
    }
    SqlProbe sql(url);
    QElapsedTimer clock;
    if (preQueued) {
        for (const auto &n : nodes)
            n->pause();
        const bool queued = queueJobs(sql, jobs, QStringLiteral("noop"));
        clock.start();
        for (const auto &n : nodes)
            n->resume();
        if (!queued) {
            out.error = QStringLiteral("could not queue the jobs in the database");
            return out;
        }
    } else {
        clock.start();
        for (int i = 0; i < jobs; ++i) {
            const auto r =
                postJson(nodes.at(static_cast<size_t>(i % nodeCount))->port(), "/api/jobs",
                         QJsonObject{{QStringLiteral("profile"), QStringLiteral("noop")}}, NodeProcess::kToken);
            if (r.status != 201) {
                out.error =
                    QStringLiteral("submitting a job answered %1: %2").arg(r.status).arg(QString::fromUtf8(r.body));
                return out;
            }
        }
    }
    out.submitSeconds = preQueued ? 0 : static_cast<double>(clock.elapsed()) / 1000.0;
    out.drained = waitUntil(
        [&] {
            return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE status IN "
                                             "('queued', 'starting', 'running')")) == 0;
        },
        120000);
    out.seconds = static_cast<double>(clock.elapsed()) / 1000.0;
    out.jobsPerSecond = jobs / out.seconds;
    out.total = sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs"));
    out.completed = sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE status = 'completed'"));
    QFile f(starts);
    if (f.open(QIODevice::ReadOnly))
        for (const QString &l : QString::fromUtf8(f.readAll()).split(u'\n', Qt::SkipEmptyParts))
            ++out.runsPerJob[l.trimmed()];
    for (const auto &row : sql.rows(QStringLiteral("SELECT node, COUNT(*) FROM jobs GROUP BY node")))
        out.jobsPerNode.insert(row.value(0).toString(), row.value(1).toInt());
    if (preQueued)
        return out;
    QList<double> latency;
    for (const auto &row : sql.rows(QStringLiteral("SELECT queued_at, started_at FROM jobs")))
        latency << static_cast<double>(isoTime(row.value(0)).msecsTo(isoTime(row.value(1))));
    out.startP50Ms = percentile(latency, 0.5);
    out.startP99Ms = percentile(latency, 0.99);
    return out;
}

} // namespace cdtest
