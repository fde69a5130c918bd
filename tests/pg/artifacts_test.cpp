// Artifacts any node can serve (DESIGN §7): real `crawldeck --headless` nodes on one throwaway
// PostgreSQL database. A job's files are copied into the database in chunks by the node that ran it;
// any other node streams them from there, byte ranges included.
#include "headless.h"
#include "nodecluster.h"
#include "pgcluster.h"
#include "testutil.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QUuid>

#include <gtest/gtest.h>

#include <cstdio>
#include <sys/time.h>

using cdtest::Headless;
using cdtest::PgCluster;
using cdtest::SqlProbe;

namespace {

const QByteArray kToken = cdtest::NodeProcess::kToken;

// A node of these tests: the real binary, its pid at hand for /proc.
std::unique_ptr<Headless> node(const QString &id, const QString &url, const QString &dataDir, QStringList extra = {})
{
    return std::make_unique<Headless>(QStringLiteral(CRAWLDECK_BINARY), dataDir, kToken,
                                      QStringList{QStringLiteral("--database"), url, QStringLiteral("--node-id"), id} +
                                          extra);
}

QByteArray sha256Of(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(&f);
    return h.result().toHex();
}

QByteArray sliceOf(const QString &path, qint64 from, qint64 length)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly) || !f.seek(from))
        return {};
    return f.read(length);
}

// A peak figure of /proc/<pid>/status in KiB (VmHWM: the peak resident set), -1 when unreadable.
qint64 procKib(qint64 pid, const char *field)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith(field))
            return line.mid(qstrlen(field)).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

// A download read as it arrives and hashed on the way, never kept whole: for large bodies.
struct Streamed
{
    int status = 0;
    QHash<QByteArray, QByteArray> headers;
    qint64 bytes = 0;
    QByteArray sha256;
    double seconds = 0;
    double mibPerSecond() const { return seconds > 0 ? static_cast<double>(bytes) / 1048576.0 / seconds : 0; }
};

Streamed download(quint16 port, const QByteArray &path, const QByteArray &extra = {})
{
    Streamed out;
    QTcpSocket s;
    s.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!s.waitForConnected(5000))
        return out;
    QElapsedTimer clock;
    clock.start();
    s.write("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " + kToken + "\r\n" +
            extra + "\r\n");
    QByteArray head;
    QCryptographicHash hash(QCryptographicHash::Sha256);
    qint64 length = -1;
    while (s.state() == QAbstractSocket::ConnectedState || s.bytesAvailable() > 0) {
        if (s.bytesAvailable() == 0 && !s.waitForReadyRead(30000))
            break;
        QByteArray data = s.readAll();
        if (length < 0) {
            head += data;
            const qsizetype end = head.indexOf("\r\n\r\n");
            if (end < 0)
                continue;
            const QList<QByteArray> lines = head.left(end).split('\n');
            out.status = lines.value(0).split(' ').value(1).toInt();
            for (const QByteArray &l : lines.mid(1)) {
                const qsizetype colon = l.indexOf(':');
                out.headers.insert(l.left(colon).trimmed().toLower(), l.mid(colon + 1).trimmed());
            }
            length = out.headers.value("content-length").toLongLong();
            data = head.mid(end + 4);
            head.clear();
        }
        hash.addData(data);
        out.bytes += data.size();
        if (out.bytes >= length)
            break;
    }
    out.seconds = static_cast<double>(clock.nsecsElapsed()) / 1e9;
    out.sha256 = hash.result().toHex();
    return out;
}

cdtest::HttpResponse get(quint16 port, const QByteArray &path, const cdtest::HeaderList &extra = {},
                         const QByteArray &method = "GET")
{
    cdtest::HeaderList h{{"Authorization", "Bearer " + kToken}};
    return cdtest::request(port, method, path, {}, h + extra, 30000);
}

// Runs a job of `profile` on `port`'s node to completion; its id, or empty.
QString runJob(quint16 port, const QString &profile, const SqlProbe &sql)
{
    const auto r = cdtest::postJson(port, "/api/jobs", QJsonObject{{QStringLiteral("profile"), profile}}, kToken);
    EXPECT_EQ(r.status, 201) << r.body.toStdString();
    const QString id = r.json().value(QStringLiteral("id")).toString();
    const bool done = cdtest::waitUntil(
        [&] {
            return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ? AND status = 'completed'"),
                              {id}) == 1;
        },
        30000);
    EXPECT_TRUE(done) << "job " << id.toStdString() << " did not complete";
    return done ? id : QString();
}

// Waits until every artifact of the job is settled (none pending); true when they are.
bool copiesSettled(const SqlProbe &sql, const QString &jobId, int artifacts, int timeoutMs = 60000)
{
    return cdtest::waitUntil(
        [&] {
            return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM artifacts WHERE job_id = ? AND storage <> "
                                             "'pending'"),
                              {jobId}) == artifacts;
        },
        timeoutMs);
}

// The MiB/s a node logged for its copy of `name` into the database; 0 when it logged none.
double loggedCopyRate(const QByteArray &stderrText, const QString &name)
{
    const QRegularExpression re(QStringLiteral("copied artifact '%1' of job \\S+ into the database: \\d+ bytes in "
                                               "[0-9.]+ s \\(([0-9.]+) MiB/s\\)")
                                    .arg(QRegularExpression::escape(name)));
    const auto m = re.match(QString::fromUtf8(stderrText));
    return m.hasMatch() ? m.captured(1).toDouble() : 0;
}

} // namespace

TEST(Artifacts, AJobsFilesAreServedByAnotherNodeFromTheDatabaseWithRanges)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    QTemporaryDir dir;
    // 6 MiB + 12345 bytes (not a whole number of chunks), a small text file, and a file over the cap.
    const QStringList extra{
        QStringLiteral("--local-profile"),
        QStringLiteral("make=sh -c 'head -c 6303801 /dev/urandom > data.bin; printf \"hello artifacts\\n\" > "
                       "notes.txt; head -c 9437184 /dev/urandom > over.bin'"),
        QStringLiteral("--artifact-max-bytes"), QStringLiteral("8388608")};
    const QString dataA = dir.filePath(QStringLiteral("a"));
    auto a = node(QStringLiteral("node-a"), url, dataA, extra);
    ASSERT_NE(a->port(), 0) << a->stderrText().toStdString();
    SqlProbe sql(url);
    const QString id = runJob(a->port(), QStringLiteral("make"), sql);
    ASSERT_FALSE(id.isEmpty());
    ASSERT_TRUE(copiesSettled(sql, id, 3)) << a->stderrText().toStdString();
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM artifacts WHERE job_id = ? AND storage = 'database' AND "
                                        "node = 'node-a'"),
                         {id}),
              2);
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM artifacts WHERE job_id = ? AND name = 'over.bin' AND "
                                        "storage = 'disk'"),
                         {id}),
              1);
    // 1 MiB chunks: 7 for data.bin, 1 for notes.txt, none for the file over the cap.
    EXPECT_EQ(
        sql.scalar(QStringLiteral("SELECT COUNT(*) FROM artifact_chunks WHERE job_id = ? AND name = 'data.bin'"), {id}),
        7);
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM artifact_chunks WHERE job_id = ?"), {id}), 8);

    auto b = node(QStringLiteral("node-b"), url, dir.filePath(QStringLiteral("b")), extra);
    ASSERT_NE(b->port(), 0) << b->stderrText().toStdString();
    const QString onA = dataA + QStringLiteral("/jobs/") + id + QStringLiteral("/output/");
    const QByteArray base = "/api/jobs/" + id.toUtf8() + "/artifacts/";
    EXPECT_FALSE(QDir(dir.filePath(QStringLiteral("b/jobs/")) + id).exists()) << "b has no copy on its disk";

    // The whole file from b, byte for byte.
    const Streamed whole = download(b->port(), base + "data.bin");
    EXPECT_EQ(whole.status, 200);
    EXPECT_EQ(whole.bytes, 6303801);
    EXPECT_EQ(whole.sha256, sha256Of(onA + QStringLiteral("data.bin")));
    EXPECT_EQ(whole.headers.value("accept-ranges"), "bytes");
    EXPECT_EQ(whole.headers.value("etag"), '"' + sha256Of(onA + QStringLiteral("data.bin")) + '"');
    EXPECT_TRUE(whole.headers.value("content-disposition").contains("data.bin"));
    const auto notes = get(b->port(), base + "notes.txt");
    EXPECT_EQ(notes.status, 200);
    EXPECT_EQ(notes.body, "hello artifacts\n");
    EXPECT_EQ(notes.headers.value("content-type"), "text/plain");
    const auto head = get(b->port(), base + "data.bin", {}, "HEAD");
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.headers.value("content-length"), "6303801");
    EXPECT_TRUE(head.body.isEmpty());

    // Exact slices, from the database (b) and from the disk (a), across chunk boundaries.
    struct Slice
    {
        QByteArray range;
        qint64 from, length;
    };
    const qint64 size = 6303801;
    for (const Slice &s : {Slice{"bytes=0-9", 0, 10}, Slice{"bytes=1048570-1048585", 1048570, 16},
                           Slice{"bytes=3000000-", 3000000, size - 3000000}, Slice{"bytes=-100", size - 100, 100},
                           Slice{"bytes=6303800-99999999", size - 1, 1}, Slice{"bytes=-99999999", 0, size}}) {
        for (quint16 port : {b->port(), a->port()}) {
            const auto r = get(port, base + "data.bin", {{"Range", s.range}});
            const char *who = port == a->port() ? "disk" : "database";
            EXPECT_EQ(r.status, 206) << s.range.toStdString() << ' ' << who;
            EXPECT_EQ(r.headers.value("content-range"), "bytes " + QByteArray::number(s.from) + '-' +
                                                            QByteArray::number(s.from + s.length - 1) + '/' +
                                                            QByteArray::number(size))
                << s.range.toStdString() << ' ' << who;
            EXPECT_EQ(r.headers.value("content-length").toLongLong(), s.length) << s.range.toStdString();
            EXPECT_TRUE(r.body == sliceOf(onA + QStringLiteral("data.bin"), s.from, s.length))
                << s.range.toStdString() << ' ' << who;
        }
    }
    // Past the end: 416 with the size; malformed or several ranges: 400.
    for (quint16 port : {b->port(), a->port()}) {
        const auto past = get(port, base + "data.bin", {{"Range", "bytes=6303801-"}});
        EXPECT_EQ(past.status, 416);
        EXPECT_EQ(past.headers.value("content-range"), "bytes */6303801");
        for (const QByteArray &bad : {QByteArray("bytes=0-1,4-5"), QByteArray("bytes=9-3"), QByteArray("bytes=x-"),
                                      QByteArray("lines=0-1"), QByteArray("bytes=-")}) {
            const auto r = get(port, base + "data.bin", {{"Range", bad}});
            EXPECT_EQ(r.status, 400) << bad.toStdString();
            EXPECT_EQ(r.json().value(QStringLiteral("error")), QStringLiteral("invalid_argument")) << bad.toStdString();
        }
    }
    // Resuming: If-Range with the ETag gets the range, a stale one the whole file.
    const QByteArray etag = whole.headers.value("etag");
    const auto resumed = get(b->port(), base + "data.bin", {{"Range", "bytes=6303800-"}, {"If-Range", etag}});
    EXPECT_EQ(resumed.status, 206);
    EXPECT_EQ(resumed.body.size(), 1);
    const Streamed stale = download(b->port(), base + "data.bin", "Range: bytes=6303800-\r\nIf-Range: \"0000\"\r\n");
    EXPECT_EQ(stale.status, 200);
    EXPECT_EQ(stale.bytes, size);

    // Over the cap: only a has it; b says so, naming a.
    const auto elsewhere = get(b->port(), base + "over.bin");
    EXPECT_EQ(elsewhere.status, 409) << elsewhere.body.toStdString();
    EXPECT_TRUE(elsewhere.json().value(QStringLiteral("detail")).toString().contains(QStringLiteral("node-a")))
        << elsewhere.body.toStdString();
    const Streamed local = download(a->port(), base + "over.bin");
    EXPECT_EQ(local.status, 200);
    EXPECT_EQ(local.sha256, sha256Of(onA + QStringLiteral("over.bin")));
    EXPECT_EQ(get(b->port(), base + "nope.bin").status, 404);

    // a stops and its data directory goes: what is in the database is still served by b.
    EXPECT_EQ(a->terminate(), 0);
    const QByteArray dataSha = sha256Of(onA + QStringLiteral("data.bin"));
    ASSERT_TRUE(QDir(dataA).removeRecursively());
    const Streamed after = download(b->port(), base + "data.bin");
    EXPECT_EQ(after.status, 200);
    EXPECT_EQ(after.sha256, dataSha);
    EXPECT_EQ(get(b->port(), base + "over.bin").status, 409);

    // Retention deletes the job with its chunks (b is the leader now that a has left).
    ASSERT_TRUE(
        sql.exec(QStringLiteral("UPDATE jobs SET finished_at = '2000-01-01T00:00:00.000Z' WHERE id = '%1'").arg(id)));
    b->terminate();
    b = node(QStringLiteral("node-b"), url, dir.filePath(QStringLiteral("b")),
             extra + QStringList{QStringLiteral("--retention-days"), QStringLiteral("1")});
    ASSERT_NE(b->port(), 0) << b->stderrText().toStdString();
    EXPECT_TRUE(cdtest::waitUntil(
        [&] { return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM jobs WHERE id = ?"), {id}) == 0; }, 30000))
        << b->stderrText().toStdString();
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM artifact_chunks")), 0);
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM artifacts")), 0);
    EXPECT_EQ(get(b->port(), base + "data.bin").status, 404);
}

TEST(Artifacts, ALargeArtifactIsStreamedFromTheDatabaseInLittleMemory)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    QTemporaryDir dir;
    const qint64 size = 48LL * 1024 * 1024;
    const QStringList extra{QStringLiteral("--local-profile"),
                            QStringLiteral("big=sh -c 'head -c %1 /dev/urandom > big.bin'").arg(size)};
    const QString dataA = dir.filePath(QStringLiteral("a"));
    auto a = node(QStringLiteral("node-a"), url, dataA, extra);
    ASSERT_NE(a->port(), 0) << a->stderrText().toStdString();
    SqlProbe sql(url);
    const QString id = runJob(a->port(), QStringLiteral("big"), sql);
    ASSERT_FALSE(id.isEmpty());
    ASSERT_TRUE(copiesSettled(sql, id, 1)) << a->stderrText().toStdString();
    ASSERT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM artifacts WHERE storage = 'database'")), 1);
    // The node's log line may reach us a moment after the row changed.
    double uploadRate = 0;
    EXPECT_TRUE(cdtest::waitUntil(
        [&] { return (uploadRate = loggedCopyRate(a->stderrText(), QStringLiteral("big.bin"))) > 0; }, 5000))
        << a->stderrText().toStdString();
    const qint64 copierPeakA = procKib(a->process().processId(), "VmHWM:");

    auto b = node(QStringLiteral("node-b"), url, dir.filePath(QStringLiteral("b")), extra);
    ASSERT_NE(b->port(), 0) << b->stderrText().toStdString();
    const qint64 pid = b->process().processId();
    const QByteArray path = "/api/jobs/" + id.toUtf8() + "/artifacts/big.bin";
    // Warm up the serving path (first statements, buffers) on a small range first.
    ASSERT_EQ(get(b->port(), path, {{"Range", "bytes=0-99"}}).status, 206);
    const qint64 before = procKib(pid, "VmHWM:");
    ASSERT_GT(before, 0);
    const Streamed fromDb = download(b->port(), path);
    const qint64 after = procKib(pid, "VmHWM:");
    const QByteArray expected = sha256Of(dataA + QStringLiteral("/jobs/") + id + QStringLiteral("/output/big.bin"));
    EXPECT_EQ(fromDb.status, 200);
    EXPECT_EQ(fromDb.bytes, size);
    EXPECT_EQ(fromDb.sha256, expected);
    // One chunk at a time plus the socket's buffer: far less than the file's 48 MiB.
    const qint64 growthKib = after - before;
    EXPECT_LT(growthKib, 12 * 1024) << "peak RSS grew by " << growthKib << " KiB serving a " << size / 1024
                                    << " KiB artifact";

    const Streamed fromDisk = download(a->port(), path);
    EXPECT_EQ(fromDisk.status, 200);
    EXPECT_EQ(fromDisk.sha256, expected);
    std::printf("[ FIGURES  ] 48 MiB artifact: copy into PostgreSQL %.1f MiB/s (node a's peak RSS %lld KiB); download "
                "from the database %.1f MiB/s, from disk %.1f MiB/s; serving node's peak RSS %lld -> %lld KiB (+%lld "
                "KiB)\n",
                uploadRate, static_cast<long long>(copierPeakA), fromDb.mibPerSecond(), fromDisk.mibPerSecond(),
                static_cast<long long>(before), static_cast<long long>(after), static_cast<long long>(growthKib));
}

TEST(Artifacts, ANodeThatIsNotTheLeaderRemovesItsOrphanedJobDirectories)
{
    REQUIRE_PG();
    const QString url = PgCluster::instance().createDatabase();
    QTemporaryDir dir;
    const QStringList extra{QStringLiteral("--retention-days"), QStringLiteral("1")};
    auto a = node(QStringLiteral("node-a"), url, dir.filePath(QStringLiteral("a")), extra);
    ASSERT_NE(a->port(), 0) << a->stderrText().toStdString();
    SqlProbe sql(url);
    ASSERT_TRUE(cdtest::waitUntil(
        [&] { return sql.scalar(QStringLiteral("SELECT COUNT(*) FROM leases WHERE holder = 'node-a'")) == 1; }, 10000));

    // b's disk: a directory of a deleted job, one of a job that still exists, one of a deleted job
    // written to recently, and something that is no job directory at all.
    const QString kept = QUuid::createUuid().toString(QUuid::WithoutBraces);
    ASSERT_TRUE(
        sql.exec(QStringLiteral("INSERT INTO jobs (id, kind, backend, status, params, created_at, updated_at, "
                                "finished_at) SELECT '%1', 'crawl', 'local', 'completed', '{}', t, t, t FROM "
                                "(SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
                                "AS t) AS now_text")
                     .arg(kept)));
    const QString orphan = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const QString recent = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const QString jobs = dir.filePath(QStringLiteral("b/jobs/"));
    for (const QString &name : {orphan, kept, recent, QStringLiteral("not-a-job")}) {
        ASSERT_TRUE(QDir().mkpath(jobs + name + QStringLiteral("/output")));
        QFile f(jobs + name + QStringLiteral("/output/x.txt"));
        ASSERT_TRUE(f.open(QIODevice::WriteOnly));
        f.write("x");
    }
    // Untouched for ten days, as the directory of a job past a one-day retention would be.
    const timeval old[2] = {{QDateTime::currentSecsSinceEpoch() - 10 * 86400, 0},
                            {QDateTime::currentSecsSinceEpoch() - 10 * 86400, 0}};
    for (const QString &name : {orphan, kept, QStringLiteral("not-a-job")})
        for (const QString &d : QStringList{jobs + name + QStringLiteral("/output"), jobs + name})
            ASSERT_EQ(::utimes(QFile::encodeName(d).constData(), old), 0);

    auto b = node(QStringLiteral("node-b"), url, dir.filePath(QStringLiteral("b")), extra);
    ASSERT_NE(b->port(), 0) << b->stderrText().toStdString();
    EXPECT_TRUE(cdtest::waitUntil([&] { return !QDir(jobs + orphan).exists(); }, 10000))
        << b->stderrText().toStdString();
    EXPECT_EQ(sql.scalar(QStringLiteral("SELECT COUNT(*) FROM leases WHERE holder = 'node-a'")), 1)
        << "b removed it without being the leader";
    EXPECT_TRUE(QDir(jobs + kept).exists());
    EXPECT_TRUE(QDir(jobs + recent).exists());
    EXPECT_TRUE(QDir(jobs + QStringLiteral("not-a-job")).exists());
    EXPECT_TRUE(cdtest::waitUntil([&] { return b->stderrText().contains("removed 1 job directories"); }, 5000))
        << b->stderrText().toStdString();
}

TEST(Artifacts, BadArtifactSettingsStopTheStartWithAClearMessage)
{
    QTemporaryDir dir;
    auto refused = [](const QStringList &args) {
        QProcess p;
        p.start(QStringLiteral(CRAWLDECK_BINARY),
                QStringList{QStringLiteral("--headless"), QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")} +
                    args);
        EXPECT_TRUE(p.waitForFinished(15000)) << args.join(u' ').toStdString();
        EXPECT_NE(p.exitCode(), 0) << args.join(u' ').toStdString();
        return QString::fromUtf8(p.readAllStandardError());
    };
    for (const QString &bad : {QStringLiteral("-1"), QStringLiteral("1G"), QStringLiteral("")}) {
        const QString err = refused({QStringLiteral("--data-dir"), dir.filePath(QStringLiteral("cli")),
                                     QStringLiteral("--artifact-max-bytes"), bad});
        EXPECT_TRUE(err.contains(QStringLiteral("--artifact-max-bytes"))) << err.toStdString();
    }
    // A saved value that means nothing is refused, naming the key and the file.
    const QString data = dir.filePath(QStringLiteral("ini"));
    ASSERT_TRUE(QDir().mkpath(data));
    QFile ini(data + QStringLiteral("/crawldeck.ini"));
    ASSERT_TRUE(ini.open(QIODevice::WriteOnly));
    ini.write("[artifacts]\nstorage=cloud\n");
    ini.close();
    const QString err = refused({QStringLiteral("--data-dir"), data});
    EXPECT_TRUE(err.contains(QStringLiteral("artifacts/storage")) && err.contains(QStringLiteral("cloud")))
        << err.toStdString();
}
