#pragma once

#include "headless.h"

#include <QHash>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QVariantList>

namespace cdtest {

// One `crawldeck --headless` node as a child process, with its own data directory and node id, on
// a shared database, listening on a free loopback port.
class NodeProcess
{
public:
    static inline const QByteArray kToken = "cluster-token";

    NodeProcess(QString binary, QString id, const QString &database, QString dataDir, const QStringList &extra,
                QProcessEnvironment env = QProcessEnvironment::systemEnvironment());

    // Starts it (again) and waits for its "listening on" line; port() is 0 when it did not come up.
    void start() { m_node.start(); }
    // SIGKILL: no shutdown, no last write.
    void kill() { m_node.kill(); }
    // SIGTERM, then waits for the exit; the exit code, or -1 after a crash or a hang.
    int terminate() { return m_node.terminate(); }
    void pause() { m_node.pause(); }
    void resume() { m_node.resume(); }
    quint16 port() const { return m_node.port(); }
    QString id() const { return m_id; }
    QByteArray stderrText() const { return m_node.stderrText(); }

private:
    QString m_id;
    Headless m_node;
};

// Reads a PostgreSQL database directly, as an operator would.
class SqlProbe
{
public:
    explicit SqlProbe(const QString &url);
    ~SqlProbe();
    SqlProbe(const SqlProbe &) = delete;
    SqlProbe &operator=(const SqlProbe &) = delete;
    QList<QVariantList> rows(const QString &sql, const QVariantList &values = {}) const;
    // Runs a statement unprepared (DDL cannot be prepared through QPSQL); true when it worked.
    bool exec(const QString &sql) const;
    // The first column of the first row; -1 when there is none.
    int scalar(const QString &sql, const QVariantList &values = {}) const;

private:
    QString m_name;
};

// Writes `jobs` queued local jobs of profile `profile` straight into the database (one statement).
bool queueJobs(const SqlProbe &sql, int jobs, const QString &profile);

// `nodes` nodes on a new database, `jobs` no-op local jobs submitted round-robin over HTTP, until
// none is queued or running. The profile appends each job id to a file: how often each ran.
struct NoOpRun
{
    QString error; // set when a node did not start
    bool drained = false;
    int total = 0;     // jobs in the database
    int completed = 0; // of those, completed
    QHash<QString, int> runsPerJob;
    QHash<QString, int> jobsPerNode;
    double seconds = 0;       // first submission to the last job ended
    double submitSeconds = 0; // first to last submission (one client, one request at a time)
    double jobsPerSecond = 0;
    double startP50Ms = 0; // queued_at → started_at
    double startP99Ms = 0;
};
// `preQueued`: the jobs are written straight into the database while every node is paused
// (SIGSTOP), then all nodes resume at once: `seconds` is then the drain alone, claims without the
// one HTTP client's submission rate in the way (enqueue-to-start is not measured then).
NoOpRun runNoOps(const QString &binary, int nodes, int jobs, int slotsPerNode = 4, bool preQueued = false);

} // namespace cdtest
