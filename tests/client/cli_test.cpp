// `crawldeck jobs ...`: the real binary as a subprocess against a real `crawldeck --headless`.
#include "headless.h"
#include "testutil.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using cdtest::Headless;

namespace {

struct CliResult
{
    int code = -1;
    QByteArray out;
    QByteArray err;
    QJsonDocument json() const { return QJsonDocument::fromJson(out); }
    QString text() const { return QString::fromUtf8(out); }
};

// A clean environment: no colours, no user config or data directory, the server and token given.
QProcessEnvironment cliEnv(quint16 port, const QByteArray &token, const QString &home)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *v : {"NO_COLOR", "CRAWLDECK_URL", "CRAWLDECK_API_TOKEN", "CRAWLDECK_DATA_DIR"})
        env.remove(QString::fromLatin1(v));
    env.insert(QStringLiteral("HOME"), home);
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/config"));
    env.insert(QStringLiteral("XDG_DATA_HOME"), home + QStringLiteral("/data"));
    env.insert(QStringLiteral("CRAWLDECK_URL"), QStringLiteral("http://127.0.0.1:%1").arg(port));
    if (!token.isEmpty())
        env.insert(QStringLiteral("CRAWLDECK_API_TOKEN"), QString::fromLatin1(token));
    return env;
}

void startCli(QProcess &p, const QStringList &args, const QProcessEnvironment &env)
{
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(CRAWLDECK_BINARY), QStringList{QStringLiteral("jobs")} + args);
}

CliResult runCli(const QStringList &args, const QProcessEnvironment &env, int timeoutMs = 20000)
{
    QProcess p;
    startCli(p, args, env);
    CliResult r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QString sq(const CliResult &r)
{
    return QStringLiteral("exit %1\nstdout: %2\nstderr: %3").arg(r.code).arg(r.text(), QString::fromUtf8(r.err));
}

} // namespace

class Cli : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        s_dir = new QTemporaryDir;
        s_app = new Headless(
            s_dir->filePath(QStringLiteral("server")),
            {QStringLiteral("--local-profile"), QStringLiteral("fail=sh -c \"echo '[ERROR] boom'; exit 3\""),
             QStringLiteral("--local-profile"),
             QStringLiteral("art=sh -c \"head -c 200000 /dev/urandom > blob.bin && mkdir -p sub && echo hello > "
                            "sub/a.txt && echo '[SUCCESS] wrote'\"")});
    }
    static void TearDownTestSuite()
    {
        delete s_app;
        delete s_dir;
    }
    void SetUp() override { ASSERT_NE(s_app->port(), 0) << s_app->stderrText().toStdString(); }

    static QProcessEnvironment env(const QByteArray &token = Headless::kToken)
    {
        return cliEnv(s_app->port(), token, s_dir->filePath(QStringLiteral("home")));
    }
    static CliResult cli(const QStringList &args) { return runCli(args, env()); }
    static QString start(const QStringList &args)
    {
        const auto r = cli(QStringList{QStringLiteral("start"), QStringLiteral("--json")} + args);
        EXPECT_EQ(r.code, 0) << sq(r).toStdString();
        return r.json().object().value(QStringLiteral("id")).toString();
    }

    static inline QTemporaryDir *s_dir = nullptr;
    static inline Headless *s_app = nullptr;
};

TEST_F(Cli, EverySubcommandHasHelpAndBadUsageIsExitTwo)
{
    for (const char *name : {"list", "start", "show", "logs", "cancel", "retry", "artifacts", "export", "wait"}) {
        const auto r = cli({QString::fromLatin1(name), QStringLiteral("--help")});
        EXPECT_EQ(r.code, 0) << name;
        EXPECT_TRUE(r.text().startsWith(QStringLiteral("Usage: crawldeck jobs ") + QLatin1String(name)))
            << r.text().toStdString();
    }
    const auto overview = cli({QStringLiteral("--help")});
    EXPECT_EQ(overview.code, 0);
    EXPECT_TRUE(overview.text().contains(u"Exit codes"));
    EXPECT_EQ(cli({}).code, 2);
    EXPECT_EQ(cli({QStringLiteral("bogus")}).code, 2);
    EXPECT_EQ(cli({QStringLiteral("show")}).code, 2);
    EXPECT_EQ(cli({QStringLiteral("list"), QStringLiteral("--limit"), QStringLiteral("lots")}).code, 2);
    EXPECT_EQ(cli({QStringLiteral("export")}).code, 2); // --csv or --json
    const auto badLevel =
        cli({QStringLiteral("logs"), QStringLiteral("abc"), QStringLiteral("--level"), QStringLiteral("LOUD")});
    EXPECT_EQ(badLevel.code, 2);
    EXPECT_TRUE(badLevel.err.contains("unknown level 'LOUD'"));
    // The one validation of a new job runs before anything is sent.
    const auto badJob = cli({QStringLiteral("start"), QStringLiteral("--domains"), QStringLiteral("lots")});
    EXPECT_EQ(badJob.code, 2);
    EXPECT_TRUE(badJob.err.contains("'domain_count' must be a whole number")) << badJob.err.toStdString();
    // A wrong status is the server's 400, which names the known ones.
    const auto badStatus = cli({QStringLiteral("list"), QStringLiteral("--status"), QStringLiteral("sleepy")});
    EXPECT_EQ(badStatus.code, 2) << sq(badStatus).toStdString();
    // An option given twice is ambiguous and refused, not read as the last one; lists may repeat.
    for (const QStringList &twice :
         {QStringList{QStringLiteral("start"), QStringLiteral("--backend"), QStringLiteral("local"),
                      QStringLiteral("--backend"), QStringLiteral("runpod")},
          QStringList{QStringLiteral("start"), QStringLiteral("--domains"), QStringLiteral("1"),
                      QStringLiteral("--domains"), QStringLiteral("7")},
          QStringList{QStringLiteral("start"), QStringLiteral("--param"), QStringLiteral("a=1"),
                      QStringLiteral("--param"), QStringLiteral("a=2")},
          QStringList{QStringLiteral("logs"), QStringLiteral("abc"), QStringLiteral("--level"), QStringLiteral("error"),
                      QStringLiteral("--level"), QStringLiteral("info")},
          QStringList{QStringLiteral("list"), QStringLiteral("--limit"), QStringLiteral("1"), QStringLiteral("--limit"),
                      QStringLiteral("2")},
          QStringList{QStringLiteral("--url"), QStringLiteral("http://127.0.0.1:1"), QStringLiteral("list"),
                      QStringLiteral("--url"), QStringLiteral("http://127.0.0.1:2")}}) {
        const auto r = cli(twice);
        EXPECT_EQ(r.code, 2) << twice.join(u' ').toStdString() << ": " << sq(r).toStdString();
        EXPECT_TRUE(r.err.contains("given twice")) << r.err.toStdString();
    }
}

TEST_F(Cli, StartListShowCancelRetryAndExport)
{
    const QString id =
        start({QStringLiteral("--keywords"), QStringLiteral("solar,wind"), QStringLiteral("--domains"),
               QStringLiteral("3"), QStringLiteral("--profile"), QStringLiteral("external"), QStringLiteral("--param"),
               QStringLiteral("depth=2"), QStringLiteral("--param"), QStringLiteral("note=hello world")});
    ASSERT_EQ(id.size(), 36);
    const auto server = cdtest::getJson(s_app->port(), "/api/jobs/" + id.toUtf8(), Headless::kToken).json();
    const QJsonObject params = server.value(QStringLiteral("params")).toObject();
    EXPECT_EQ(params.value(QStringLiteral("keywords")).toArray(),
              (QJsonArray{QStringLiteral("solar"), QStringLiteral("wind")}));
    EXPECT_EQ(params.value(QStringLiteral("domain_count")).toInt(), 3);
    EXPECT_EQ(params.value(QStringLiteral("depth")), QJsonValue(2));
    EXPECT_EQ(params.value(QStringLiteral("note")), QJsonValue(QStringLiteral("hello world")));

    const auto list = cli({QStringLiteral("list"), QStringLiteral("--json")});
    ASSERT_EQ(list.code, 0) << sq(list).toStdString();
    ASSERT_TRUE(list.json().isArray());
    bool listed = false;
    for (const QJsonValue &j : list.json().array())
        listed |= j.toObject().value(QStringLiteral("id")).toString() == id;
    EXPECT_TRUE(listed);

    const auto table = cli({QStringLiteral("list"), QStringLiteral("--status"), QStringLiteral("running"),
                            QStringLiteral("--backend"), QStringLiteral("local"), QStringLiteral("-q"), id.left(8)});
    ASSERT_EQ(table.code, 0) << sq(table).toStdString();
    EXPECT_TRUE(table.text().startsWith(u"ID"));
    EXPECT_TRUE(table.text().contains(id.left(8) + QStringLiteral("  running"))) << table.text().toStdString();
    EXPECT_FALSE(table.out.contains('\x1b')); // not a terminal: no colour

    const auto shown = cli({QStringLiteral("show"), id.left(8), QStringLiteral("--json")});
    ASSERT_EQ(shown.code, 0) << sq(shown).toStdString();
    EXPECT_EQ(shown.json().object().value(QStringLiteral("id")).toString(), id);
    const auto human = cli({QStringLiteral("show"), id.left(6)});
    EXPECT_TRUE(human.text().contains(QStringLiteral("status      running"))) << human.text().toStdString();

    const auto cancelled = cli({QStringLiteral("cancel"), id.left(8), QStringLiteral("--json")});
    ASSERT_EQ(cancelled.code, 0) << sq(cancelled).toStdString();
    ASSERT_TRUE(cdtest::waitUntil([&] {
        return cli({QStringLiteral("show"), id, QStringLiteral("--json")})
                   .json()
                   .object()
                   .value(QStringLiteral("status")) == QJsonValue(QStringLiteral("cancelled"));
    }));
    const auto again = cli({QStringLiteral("cancel"), id});
    EXPECT_EQ(again.code, 1) << sq(again).toStdString(); // 409: already finished
    const auto retried = cli({QStringLiteral("retry"), id.left(8), QStringLiteral("--json")});
    ASSERT_EQ(retried.code, 0) << sq(retried).toStdString();
    EXPECT_EQ(retried.json().object().value(QStringLiteral("retry_of")).toString(), id);
    EXPECT_EQ(retried.json().object().value(QStringLiteral("attempt")).toInt(), 2);

    const auto csv = cli(
        {QStringLiteral("export"), QStringLiteral("--csv"), QStringLiteral("--since"), QStringLiteral("2000-01-01")});
    ASSERT_EQ(csv.code, 0) << sq(csv).toStdString();
    EXPECT_TRUE(csv.text().startsWith(u"id,kind,backend,status,"));
    EXPECT_TRUE(csv.text().contains(id + QStringLiteral(",crawl,local,cancelled,,"))) << csv.text().toStdString();
    EXPECT_TRUE(csv.text().contains(u"solar;wind,3,"));
    const auto json = cli({QStringLiteral("export"), QStringLiteral("--json")});
    ASSERT_EQ(json.code, 0);
    EXPECT_GE(json.json().array().size(), 2);
    const auto future = cli(
        {QStringLiteral("export"), QStringLiteral("--json"), QStringLiteral("--since"), QStringLiteral("2999-01-01")});
    EXPECT_EQ(future.json().array().size(), 0) << sq(future).toStdString();
}

TEST_F(Cli, AFailedJobExitsOneAndItsLogReads)
{
    const QString id = start({QStringLiteral("--profile"), QStringLiteral("fail")});
    const auto waited = cli({QStringLiteral("wait"), id});
    EXPECT_EQ(waited.code, 1) << sq(waited).toStdString();
    EXPECT_TRUE(waited.text().contains(u"failed")) << waited.text().toStdString();

    const auto log = cli({QStringLiteral("logs"), id});
    ASSERT_EQ(log.code, 0) << sq(log).toStdString();
    EXPECT_TRUE(log.text().contains(u"[ERROR] boom"));
    const auto errors =
        cli({QStringLiteral("logs"), id, QStringLiteral("--level"), QStringLiteral("error"), QStringLiteral("--json")});
    ASSERT_EQ(errors.code, 0);
    int n = 0;
    for (const QByteArray &line : errors.out.split('\n')) {
        if (line.isEmpty())
            continue;
        ++n;
        EXPECT_EQ(QJsonDocument::fromJson(line).object().value(QStringLiteral("level")).toString(), u"ERROR")
            << line.toStdString();
    }
    EXPECT_GE(n, 1);
    const auto grep = cli({QStringLiteral("logs"), id, QStringLiteral("--grep"), QStringLiteral("BOOM")});
    EXPECT_TRUE(grep.text().startsWith(u"[ERROR] boom\n")) << grep.text().toStdString();
    for (const QString &line : grep.text().split(u'\n', Qt::SkipEmptyParts))
        EXPECT_TRUE(line.contains(u"boom")) << line.toStdString();

    // Following a job that has already ended prints its whole log and exits with its outcome.
    const auto followed = cli({QStringLiteral("logs"), id, QStringLiteral("-f")});
    EXPECT_EQ(followed.code, 1) << sq(followed).toStdString();
    EXPECT_EQ(followed.text(), log.text());
    const auto shown = cli({QStringLiteral("show"), id});
    EXPECT_TRUE(shown.text().contains(QStringLiteral("exit code   3"))) << shown.text().toStdString();
}

TEST_F(Cli, ArtifactsDownloadByteIdentical)
{
    const QString id = start({QStringLiteral("--profile"), QStringLiteral("art")});
    const auto waited = cli({QStringLiteral("wait"), id, QStringLiteral("--json")});
    ASSERT_EQ(waited.code, 0) << sq(waited).toStdString();
    const auto listed = cli({QStringLiteral("artifacts"), id, QStringLiteral("--json")});
    ASSERT_EQ(listed.code, 0) << sq(listed).toStdString();
    QMap<QString, QJsonObject> byName;
    for (const QJsonValue &a : listed.json().array())
        byName.insert(a.toObject().value(QStringLiteral("name")).toString(), a.toObject());
    ASSERT_TRUE(byName.contains(QStringLiteral("blob.bin"))) << listed.text().toStdString();
    ASSERT_TRUE(byName.contains(QStringLiteral("sub/a.txt")));

    QTemporaryDir into;
    // A partial file from an interrupted run is resumed (206) or fetched again (200): either way the
    // result is the server's file.
    const QByteArray served =
        cdtest::getJson(s_app->port(), "/api/jobs/" + id.toUtf8() + "/artifacts/blob.bin", Headless::kToken).body;
    ASSERT_EQ(served.size(), 200000);
    QFile part(into.filePath(QStringLiteral("blob.bin.part")));
    ASSERT_TRUE(part.open(QIODevice::WriteOnly));
    part.write(served.left(50000));
    part.close();
    const auto got = cli({QStringLiteral("artifacts"), id.left(8), QStringLiteral("--download"), into.path()});
    ASSERT_EQ(got.code, 0) << sq(got).toStdString();
    for (const QString &name : byName.keys()) {
        QFile f(into.filePath(name));
        ASSERT_TRUE(f.open(QIODevice::ReadOnly)) << name.toStdString();
        const QByteArray bytes = f.readAll();
        EXPECT_EQ(bytes, cdtest::getJson(s_app->port(), "/api/jobs/" + id.toUtf8() + "/artifacts/" + name.toUtf8(),
                                         Headless::kToken)
                             .body);
        EXPECT_EQ(QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex()),
                  byName[name].value(QStringLiteral("sha256")).toString());
    }
    EXPECT_FALSE(QFile::exists(part.fileName()));
}

TEST_F(Cli, ExitCodesForUnknownIdsWrongTokensAndAStoppedServer)
{
    const auto unknown = cli({QStringLiteral("show"), QStringLiteral("00000000-0000-0000-0000-000000000000")});
    EXPECT_EQ(unknown.code, 3) << sq(unknown).toStdString();
    const auto noPrefix = cli({QStringLiteral("logs"), QStringLiteral("zz")});
    EXPECT_EQ(noPrefix.code, 3) << sq(noPrefix).toStdString();

    const auto wrong = runCli({QStringLiteral("list")}, env("not-the-token"));
    EXPECT_EQ(wrong.code, 4) << sq(wrong).toStdString();
    EXPECT_TRUE(wrong.err.contains("the token from CRAWLDECK_API_TOKEN was refused")) << wrong.err.toStdString();

    quint16 closed = 0;
    {
        QTcpServer probe;
        ASSERT_TRUE(probe.listen(QHostAddress::LocalHost, 0));
        closed = probe.serverPort();
    }
    const auto down =
        runCli({QStringLiteral("list")}, cliEnv(closed, Headless::kToken, s_dir->filePath(QStringLiteral("home"))));
    EXPECT_EQ(down.code, 5) << sq(down).toStdString();
    EXPECT_TRUE(down.err.contains("server unreachable")) << down.err.toStdString();

    // Two jobs whose ids start alike: a prefix of both is refused with both named.
    QStringList ids;
    QString shared;
    while (shared.isEmpty() && ids.size() < 40) {
        const auto r =
            cdtest::postJson(s_app->port(), "/api/jobs",
                             QJsonObject{{QStringLiteral("profile"), QStringLiteral("external")}}, Headless::kToken);
        const QString id = r.json().value(QStringLiteral("id")).toString();
        for (const QString &other : std::as_const(ids))
            if (other.at(0) == id.at(0))
                shared = id.left(1);
        ids << id;
    }
    ASSERT_FALSE(shared.isEmpty());
    const auto ambiguous = cli({QStringLiteral("show"), shared});
    EXPECT_EQ(ambiguous.code, 2) << sq(ambiguous).toStdString();
    EXPECT_TRUE(ambiguous.err.contains("is ambiguous")) << ambiguous.err.toStdString();
}

TEST_F(Cli, TheTokenComesFromAPrivateConfigFileOnly)
{
    QTemporaryDir home;
    QDir().mkpath(home.filePath(QStringLiteral("config/crawldeck")));
    const QString ini = home.filePath(QStringLiteral("config/crawldeck/client.ini"));
    QFile f(ini);
    ASSERT_TRUE(f.open(QIODevice::WriteOnly));
    f.write("token=" + QByteArray(Headless::kToken) + "\n");
    f.close();
    QProcessEnvironment e = cliEnv(s_app->port(), {}, home.path());
    f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther);
    const auto refused = runCli({QStringLiteral("list")}, e);
    EXPECT_EQ(refused.code, 2) << sq(refused).toStdString();
    EXPECT_TRUE(refused.err.contains("chmod 600")) << refused.err.toStdString();
    f.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    const auto ok = runCli({QStringLiteral("list")}, e);
    EXPECT_EQ(ok.code, 0) << sq(ok).toStdString();
}

TEST(CliFollow, LogsFollowALiveJobAcrossAServerRestart)
{
    QTemporaryDir dir;
    quint16 port = 0;
    {
        QTcpServer probe;
        ASSERT_TRUE(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    }
    Headless app(dir.filePath(QStringLiteral("server")),
                 {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(port)});
    ASSERT_EQ(app.port(), port) << app.stderrText().toStdString();
    const QProcessEnvironment env = cliEnv(port, Headless::kToken, dir.filePath(QStringLiteral("home")));
    const auto created = runCli({QStringLiteral("start"), QStringLiteral("--profile"), QStringLiteral("external"),
                                 QStringLiteral("--keywords"), QStringLiteral("x"), QStringLiteral("--json")},
                                env);
    ASSERT_EQ(created.code, 0) << sq(created).toStdString();
    const QString id = created.json().object().value(QStringLiteral("id")).toString();
    auto post = [&](int from, int to) {
        QStringList lines;
        for (int i = from; i <= to; ++i)
            lines << QStringLiteral("[INFO] line %1").arg(i);
        const auto r = cdtest::postJson(port, "/api/crawler/log",
                                        QJsonObject{{QStringLiteral("job_id"), id},
                                                    {QStringLiteral("messages"), QJsonArray::fromStringList(lines)}},
                                        Headless::kToken);
        ASSERT_EQ(r.status, 200) << r.body.toStdString();
    };

    QProcess follow, wait;
    startCli(follow, {QStringLiteral("logs"), id.left(8), QStringLiteral("-f")}, env);
    startCli(wait, {QStringLiteral("wait"), id}, env);
    QByteArray out;
    QObject::connect(&follow, &QProcess::readyReadStandardOutput, &follow,
                     [&] { out += follow.readAllStandardOutput(); });
    post(1, 50);
    ASSERT_TRUE(cdtest::waitUntil([&] { return out.contains("[INFO] line 50\n"); }, 10000)) << out.toStdString();

    app.kill(); // no goodbye: the stream just breaks
    cdtest::spin(300);
    app.start();
    ASSERT_EQ(app.port(), port) << app.stderrText().toStdString();
    post(51, 100);
    ASSERT_TRUE(cdtest::waitUntil([&] { return out.contains("[INFO] line 100\n"); }, 15000)) << out.toStdString();
    post(101, 120);
    const auto done = cdtest::postJson(
        port, "/api/crawler/log",
        QJsonObject{{QStringLiteral("job_id"), id},
                    {QStringLiteral("message"), QStringLiteral("[SUMMARY] {\"status\": \"success\"}")}},
        Headless::kToken);
    ASSERT_EQ(done.status, 200);
    ASSERT_TRUE(cdtest::waitUntil([&] { return follow.state() == QProcess::NotRunning; }, 15000));
    out += follow.readAllStandardOutput();
    EXPECT_EQ(follow.exitCode(), 0) << follow.readAllStandardError().toStdString();
    ASSERT_TRUE(cdtest::waitUntil([&] { return wait.state() == QProcess::NotRunning; }, 15000));
    EXPECT_EQ(wait.exitCode(), 0) << wait.readAllStandardError().toStdString();

    // Exactly the job's log, each line once, in order: what the server has is what was followed.
    const auto whole = runCli({QStringLiteral("logs"), id}, env);
    ASSERT_EQ(whole.code, 0);
    EXPECT_EQ(QString::fromUtf8(out), whole.text());
    QStringList mine;
    for (const QString &l : QString::fromUtf8(out).split(u'\n'))
        if (l.startsWith(u"[INFO] line "))
            mine << l;
    ASSERT_EQ(mine.size(), 120);
    for (int i = 0; i < 120; ++i)
        EXPECT_EQ(mine[i], QStringLiteral("[INFO] line %1").arg(i + 1));
}
