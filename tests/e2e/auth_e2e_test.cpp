// The real binary: strict by default, the token never lost, and the command line checked before
// anything needs a display.
#include "application.h"
#include "commandline.h"
#include "testutil.h"

#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <csignal>
#include <unistd.h>

namespace {

struct Outcome
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// No display of any kind: what a server has.
QProcessEnvironment noDisplay()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *name :
         {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "CRAWLDECK_DATA_DIR", "CRAWLDECK_API_TOKEN",
          "CRAWLDECK_PUBLIC_URL", "RUNPOD_ENDPOINT_URL", "RUNPOD_POD_URL", "JOURNAL_STREAM"})
        env.remove(QString::fromLatin1(name));
    return env;
}

Outcome runToEnd(const QStringList &args, const QProcessEnvironment &env = noDisplay())
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(CRAWLDECK_BINARY), args);
    Outcome r;
    if (!p.waitForFinished(15000)) {
        p.kill();
        p.waitForFinished(3000);
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

// A headless server until the ready line, then SIGTERM: what it printed on the way.
Outcome runUntilReady(const QStringList &args, quint16 *port = nullptr, const QProcessEnvironment &env = noDisplay())
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(CRAWLDECK_BINARY), args);
    Outcome r;
    static const QRegularExpression ready(QStringLiteral(R"(crawldeck: listening on https?://[^:]+:(\d+)\n)"));
    cdtest::waitUntil(
        [&] {
            r.out += p.readAllStandardOutput();
            return ready.match(QString::fromUtf8(r.out)).hasMatch() || p.state() == QProcess::NotRunning;
        },
        15000);
    cdtest::spin(100);
    r.out += p.readAllStandardOutput();
    if (port)
        *port = static_cast<quint16>(ready.match(QString::fromUtf8(r.out)).captured(1).toUInt());
    if (p.state() != QProcess::NotRunning) {
        ::kill(static_cast<pid_t>(p.processId()), SIGTERM);
        p.waitForFinished(10000);
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out += p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QString savedToken(const QString &dataDir)
{
    return QSettings(dataDir + QStringLiteral("/crawldeck.ini"), QSettings::IniFormat)
        .value(QStringLiteral("auth/apiToken"))
        .toString();
}

QStringList headless(const QString &dataDir, const QString &listen = QStringLiteral("127.0.0.1:0"))
{
    return {QStringLiteral("--headless"), QStringLiteral("--data-dir"), dataDir, QStringLiteral("--listen"), listen};
}

} // namespace

TEST(CommandLine, HelpAndVersionWorkWithoutADisplay)
{
    const Outcome help = runToEnd({QStringLiteral("--help")});
    EXPECT_EQ(help.exitCode, 0) << help.err.toStdString();
    EXPECT_TRUE(help.out.contains("Usage: crawldeck")) << help.out.toStdString();
    EXPECT_TRUE(help.out.contains("--trust-loopback"));
    EXPECT_FALSE(help.out.contains("--strict-auth"));
    EXPECT_TRUE(help.out.contains("crawldeck token"));
    const Outcome version = runToEnd({QStringLiteral("--version")});
    EXPECT_EQ(version.exitCode, 0) << version.err.toStdString();
    EXPECT_TRUE(version.out.startsWith("crawldeck ")) << version.out.toStdString();
}

TEST(CommandLine, BadUrlsAreRefusedAtStartWithExit2)
{
    QTemporaryDir dir;
    struct Case
    {
        QStringList args;
        const char *env;
        const char *value;
        const char *message;
    };
    const QList<Case> cases{
        {{QStringLiteral("--public-url"), QStringLiteral("notaurl")}, nullptr, nullptr, "--public-url must be an http"},
        {{QStringLiteral("--runpod-endpoint"), QStringLiteral("ftp://x")},
         nullptr,
         nullptr,
         "--runpod-endpoint must be an http"},
        {{QStringLiteral("--runpod-pod-url"), QStringLiteral("http://")},
         nullptr,
         nullptr,
         "--runpod-pod-url must be an http"},
        {{}, "RUNPOD_ENDPOINT_URL", "ftp://x", "RUNPOD_ENDPOINT_URL must be an http"},
        {{}, "CRAWLDECK_PUBLIC_URL", "example.com:8000", "CRAWLDECK_PUBLIC_URL must be an http"},
    };
    for (const Case &c : cases) {
        QProcessEnvironment env = noDisplay();
        if (c.env)
            env.insert(QString::fromLatin1(c.env), QString::fromLatin1(c.value));
        const Outcome r = runToEnd(headless(dir.path()) + c.args, env);
        EXPECT_EQ(r.exitCode, 2) << c.message;
        EXPECT_TRUE(r.err.contains(c.message)) << r.err.toStdString();
        EXPECT_FALSE(r.out.contains("listening")) << c.message;
    }
}

TEST(CommandLine, ReadyLineNamesTheBoundAddressAndThePublicUrlItsOwnLine)
{
    QTemporaryDir dir;
    quint16 port = 0;
    const Outcome r =
        runUntilReady(headless(dir.path()) + QStringList{QStringLiteral("--api-token"), QStringLiteral("t"),
                                                         QStringLiteral("--public-url"),
                                                         QStringLiteral("https://crawl.example.org/base")},
                      &port);
    EXPECT_NE(port, 0) << r.err.toStdString();
    EXPECT_TRUE(
        r.out.contains(QByteArray("crawldeck: listening on http://127.0.0.1:" + QByteArray::number(port) + "\n")))
        << r.out.toStdString();
    EXPECT_TRUE(r.out.contains("crawldeck: workers call back at https://crawl.example.org/base\n"))
        << r.out.toStdString();
    EXPECT_EQ(r.exitCode, 0);
}

TEST(CommandLine, StrictAuthIsAcceptedWithADeprecationWarning)
{
    QTemporaryDir dir;
    quint16 port = 0;
    const Outcome r = runUntilReady(headless(dir.path()) + QStringList{QStringLiteral("--strict-auth")}, &port);
    EXPECT_NE(port, 0);
    EXPECT_TRUE(r.err.contains("--strict-auth is deprecated")) << r.err.toStdString();
    EXPECT_EQ(r.exitCode, 0);
}

TEST(Token, ShownAgainAfterAFailedFirstStartThenNotAgain)
{
    QTemporaryDir dir;
    QTcpServer busy;
    ASSERT_TRUE(busy.listen(QHostAddress::LocalHost, 0));
    const Outcome failed = runToEnd(headless(dir.path(), QStringLiteral("127.0.0.1:%1").arg(busy.serverPort())));
    EXPECT_EQ(failed.exitCode, 1) << failed.err.toStdString();
    EXPECT_TRUE(failed.err.contains("cannot listen")) << failed.err.toStdString();
    const QString token = savedToken(dir.path());
    ASSERT_FALSE(token.isEmpty()) << "the first start generated and saved a token";
    EXPECT_FALSE(failed.out.contains(token.toUtf8()));
    EXPECT_FALSE(failed.err.contains(token.toUtf8())) << "a token never goes to the log";

    const Outcome second = runUntilReady(headless(dir.path()));
    EXPECT_TRUE(second.out.contains("API token")) << second.out.toStdString();
    EXPECT_TRUE(second.out.contains(token.toUtf8())) << "the token nobody saw is shown now";
    EXPECT_FALSE(second.err.contains(token.toUtf8())) << "a token never goes to the log";
    EXPECT_EQ(savedToken(dir.path()), token);

    const Outcome third = runUntilReady(headless(dir.path()));
    EXPECT_TRUE(third.out.contains("listening on")) << third.err.toStdString();
    EXPECT_FALSE(third.out.contains(token.toUtf8())) << "shown once is enough";

    // `crawldeck token` prints it, by flag or environment, without a display.
    const Outcome byFlag = runToEnd({QStringLiteral("token"), QStringLiteral("--data-dir"), dir.path()});
    EXPECT_EQ(byFlag.exitCode, 0) << byFlag.err.toStdString();
    EXPECT_EQ(byFlag.out, token.toUtf8() + "\n");
    QProcessEnvironment env = noDisplay();
    env.insert(QStringLiteral("CRAWLDECK_DATA_DIR"), dir.path());
    EXPECT_EQ(runToEnd({QStringLiteral("token")}, env).out, token.toUtf8() + "\n");
}

TEST(Token, TokenCommandRefusesClearlyWhenThereIsNone)
{
    QTemporaryDir dir;
    const Outcome none = runToEnd({QStringLiteral("token"), QStringLiteral("--data-dir"), dir.path()});
    EXPECT_EQ(none.exitCode, 1);
    EXPECT_TRUE(none.err.contains("no API token yet")) << none.err.toStdString();
    EXPECT_TRUE(none.out.isEmpty());
    EXPECT_EQ(runToEnd({QStringLiteral("token"), QStringLiteral("extra")}).exitCode, 2);
    // A token given on the command line is the operator's: not saved, so nothing to print.
    runUntilReady(headless(dir.path()) + QStringList{QStringLiteral("--api-token"), QStringLiteral("given")});
    const Outcome given = runToEnd({QStringLiteral("token"), QStringLiteral("--data-dir"), dir.path()});
    EXPECT_EQ(given.exitCode, 1);
    EXPECT_TRUE(given.err.contains("no API token saved")) << given.err.toStdString();
}

TEST(Token, TokenCommandRefusesWhoeverIsNotTheOwner)
{
    QTemporaryDir dir;
    runUntilReady(headless(dir.path()));
    ASSERT_FALSE(savedToken(dir.path()).isEmpty());
    Outcome r;
    if (::geteuid() == 0) {
        // Root reads any file: ask as another user, as an operator on a shared server would.
        if (QStandardPaths::findExecutable(QStringLiteral("setpriv")).isEmpty())
            GTEST_SKIP() << "\n\n*** SKIPPED: root without setpriv; the refusal was NOT exercised ***\n";
        QProcess p;
        p.setProcessEnvironment(noDisplay());
        // The binary's own directories must be reachable for that user; the data directory is not.
        p.start(QStringLiteral("setpriv"),
                {QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"), QStringLiteral("--clear-groups"),
                 QStringLiteral(CRAWLDECK_BINARY), QStringLiteral("token"), QStringLiteral("--data-dir"), dir.path()});
        ASSERT_TRUE(p.waitForFinished(15000));
        r.exitCode = p.exitCode();
        r.out = p.readAllStandardOutput();
        r.err = p.readAllStandardError();
        if (r.err.contains("Permission denied") && !r.err.contains("cannot read"))
            GTEST_SKIP() << "\n\n*** SKIPPED: the binary is not reachable for another user; NOT exercised ***\n";
    } else {
        const QString ini = dir.filePath(QStringLiteral("crawldeck.ini"));
        ASSERT_TRUE(QFile::setPermissions(ini, QFileDevice::Permissions()));
        r = runToEnd({QStringLiteral("token"), QStringLiteral("--data-dir"), dir.path()});
        QFile::setPermissions(ini, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    }
    EXPECT_EQ(r.exitCode, 1) << r.err.toStdString();
    EXPECT_TRUE(r.err.contains("cannot read")) << r.err.toStdString();
    EXPECT_TRUE(r.out.isEmpty());
}

TEST(Headless, StrictByDefaultAndTrustLoopbackIsAnOptIn)
{
    QTemporaryDir dir;
    for (const bool trust : {false, true}) {
        QProcess p;
        p.setProcessEnvironment(noDisplay());
        QStringList args = headless(dir.path()) + QStringList{QStringLiteral("--api-token"), QStringLiteral("tok")};
        if (trust)
            args << QStringLiteral("--trust-loopback");
        p.start(QStringLiteral(CRAWLDECK_BINARY), args);
        static const QRegularExpression ready(QStringLiteral(R"(listening on http://127\.0\.0\.1:(\d+)\n)"));
        QByteArray out;
        quint16 port = 0;
        cdtest::waitUntil(
            [&] {
                out += p.readAllStandardOutput();
                port = static_cast<quint16>(ready.match(QString::fromUtf8(out)).captured(1).toUInt());
                return port != 0 || p.state() == QProcess::NotRunning;
            },
            15000);
        ASSERT_NE(port, 0) << p.readAllStandardError().toStdString();
        EXPECT_EQ(cdtest::getJson(port, "/api/jobs").status, trust ? 200 : 401) << "trust=" << trust;
        EXPECT_EQ(cdtest::getJson(port, "/api/jobs", "tok").status, 200);
        // Never for creating work.
        EXPECT_EQ(
            cdtest::postJson(port, "/api/jobs", QJsonObject{{QStringLiteral("profile"), QStringLiteral("crawler")}})
                .status,
            401);
        ::kill(static_cast<pid_t>(p.processId()), SIGTERM);
        ASSERT_TRUE(p.waitForFinished(10000));
        EXPECT_EQ(p.exitCode(), 0);
    }
}

TEST(CommandLine, FailureLimitOptionsReachTheServer)
{
    EXPECT_FALSE(cd::app::CommandLine::parse(
                     {QStringLiteral("crawldeck"), QStringLiteral("--auth-cooling"), QStringLiteral("0")})
                     .error.isEmpty());
    EXPECT_FALSE(cd::app::CommandLine::parse(
                     {QStringLiteral("crawldeck"), QStringLiteral("--auth-failure-limit"), QStringLiteral("lots")})
                     .error.isEmpty());
    QTemporaryDir dir;
    const auto cl = cd::app::CommandLine::parse(
        {QStringLiteral("crawldeck"), QStringLiteral("--headless"), QStringLiteral("--data-dir"), dir.path(),
         QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"), QStringLiteral("--api-token"),
         QStringLiteral("right"), QStringLiteral("--auth-failure-limit"), QStringLiteral("2"),
         QStringLiteral("--auth-failure-window"), QStringLiteral("30"), QStringLiteral("--auth-cooling"),
         QStringLiteral("1")});
    ASSERT_TRUE(cl.error.isEmpty()) << cl.error.toStdString();
    EXPECT_FALSE(cl.overrides.trustLoopback.has_value());
    cd::app::Application app(cl);
    const auto st = app.start();
    ASSERT_TRUE(st.ok()) << st.error().detail.toStdString();
    EXPECT_EQ(cdtest::getJson(app.port(), "/api/jobs", "wrong-1").status, 401);
    EXPECT_EQ(cdtest::getJson(app.port(), "/api/jobs", "wrong-2").status, 401);
    const auto cooled = cdtest::getJson(app.port(), "/api/jobs", "right");
    EXPECT_EQ(cooled.status, 429);
    EXPECT_EQ(cooled.headers.value("retry-after"), "1");
    cdtest::spin(1100);
    EXPECT_EQ(cdtest::getJson(app.port(), "/api/jobs", "right").status, 200);
}

TEST(CommandLine, QtGuiOptionsAreStillAcceptedNowThatParsingComesFirst)
{
    const auto gui = cd::app::CommandLine::parse({QStringLiteral("crawldeck"), QStringLiteral("-platform"),
                                                  QStringLiteral("offscreen"), QStringLiteral("-reverse"),
                                                  QStringLiteral("--listen"), QStringLiteral("127.0.0.1:9")});
    EXPECT_TRUE(gui.error.isEmpty()) << gui.error.toStdString();
    EXPECT_EQ(gui.overrides.listen.value_or(QString()), QStringLiteral("127.0.0.1:9"));
    EXPECT_TRUE(cd::app::CommandLine::parse({QStringLiteral("crawldeck"), QStringLiteral("-h")}).showHelp);
    EXPECT_FALSE(cd::app::CommandLine::parse({QStringLiteral("crawldeck"), QStringLiteral("-bogus")}).error.isEmpty());
}

TEST(Token, TheWindowShowsANewTokenAndThenItCountsAsShown)
{
    QTemporaryDir dir;
    QProcess gui;
    QProcessEnvironment env = noDisplay();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    gui.setProcessEnvironment(env);
    gui.start(QStringLiteral(CRAWLDECK_BINARY),
              {QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")});
    const QString ini = dir.filePath(QStringLiteral("crawldeck.ini"));
    EXPECT_TRUE(cdtest::waitUntil(
        [&] { return QSettings(ini, QSettings::IniFormat).value(QStringLiteral("auth/apiTokenShown")).toBool(); },
        15000));
    ::kill(static_cast<pid_t>(gui.processId()), SIGTERM);
    gui.waitForFinished(10000);
    EXPECT_FALSE(gui.readAllStandardError().contains(savedToken(dir.path()).toUtf8())) << "never in the log";
    // Shown by the window: the next headless start does not print it again.
    const Outcome next = runUntilReady(headless(dir.path()));
    EXPECT_TRUE(next.out.contains("listening on"));
    EXPECT_FALSE(next.out.contains("API token"));
}

TEST(Token, UnderSystemdTheJournalGetsAHintNotTheToken)
{
    QTemporaryDir dir;
    QProcessEnvironment journal = noDisplay();
    journal.insert(QStringLiteral("JOURNAL_STREAM"), QStringLiteral("8:123456"));
    const Outcome first = runUntilReady(headless(dir.path()), nullptr, journal);
    const QString token = savedToken(dir.path());
    ASSERT_FALSE(token.isEmpty());
    EXPECT_TRUE(first.out.contains("listening on")) << first.err.toStdString();
    EXPECT_FALSE(first.out.contains(token.toUtf8())) << "the journal keeps whatever is printed";
    EXPECT_FALSE(first.err.contains(token.toUtf8()));
    EXPECT_TRUE(first.out.contains(QByteArray("crawldeck token --data-dir " + dir.path().toUtf8())))
        << first.out.toStdString();
    // Not shown yet, so a start on a terminal still shows it.
    const Outcome terminal = runUntilReady(headless(dir.path()));
    EXPECT_TRUE(terminal.out.contains(token.toUtf8())) << terminal.out.toStdString();
    EXPECT_FALSE(terminal.out.contains("crawldeck token --data-dir"));
}

TEST(DataDir, ExistingReadableFilesAreMadePrivateAtStart)
{
    QTemporaryDir tmp;
    const QString dataDir = tmp.filePath(QStringLiteral("data"));
    ASSERT_TRUE(QDir().mkpath(dataDir + QStringLiteral("/jobs")));
    const QString db = dataDir + QStringLiteral("/crawldeck.db");
    const QString ini = dataDir + QStringLiteral("/crawldeck.ini");
    for (const QString &f : {db, ini}) {
        QFile file(f);
        ASSERT_TRUE(file.open(QIODevice::WriteOnly)); // an empty file is an empty SQLite database
    }
    const auto readable =
        QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadGroup | QFileDevice::ReadOther;
    const auto open = readable | QFileDevice::ExeOwner | QFileDevice::ExeGroup | QFileDevice::ExeOther;
    for (const QString &f : {db, ini})
        ASSERT_TRUE(QFile::setPermissions(f, readable));
    for (const QString &d : QStringList{dataDir, dataDir + QStringLiteral("/jobs")})
        ASSERT_TRUE(QFile::setPermissions(d, open));

    const Outcome first = runUntilReady(headless(dataDir));
    EXPECT_TRUE(first.out.contains("listening on")) << first.err.toStdString();
    const auto mode = [](const QString &path) {
        return QFileInfo(path).permissions() &
               (QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup | QFileDevice::ReadOther |
                QFileDevice::WriteOther | QFileDevice::ExeOther);
    };
    for (const QString &p : QStringList{dataDir, dataDir + QStringLiteral("/jobs"), db, ini,
                                        db + QStringLiteral("-wal"), db + QStringLiteral("-shm")}) {
        const bool sqliteMakesIt = p.endsWith(QStringLiteral("-wal")) || p.endsWith(QStringLiteral("-shm"));
        if (!sqliteMakesIt) {
            ASSERT_TRUE(QFileInfo::exists(p)) << p.toStdString();
        }
        EXPECT_EQ(mode(p), 0) << p.toStdString() << " is still open to others";
    }
    EXPECT_TRUE(QFileInfo(dataDir).permissions().testFlag(QFileDevice::ExeOwner)) << "the owner keeps access";
    // What was changed is logged, once.
    EXPECT_TRUE(first.err.contains("made data files private")) << first.err.toStdString();
    EXPECT_TRUE(first.err.contains(QByteArray(dataDir.toUtf8() + " 0755 -> 0700"))) << first.err.toStdString();
    EXPECT_TRUE(first.err.contains("made the database private")) << first.err.toStdString();
    EXPECT_TRUE(first.err.contains(QByteArray(db.toUtf8() + " 0644 -> 0600"))) << first.err.toStdString();
    const Outcome second = runUntilReady(headless(dataDir));
    EXPECT_TRUE(second.out.contains("listening on"));
    EXPECT_FALSE(second.err.contains("private")) << second.err.toStdString();
}

TEST(CommandLine, TrustedProxyTakesAddressesOnly)
{
    for (const char *bad : {"nginx", "127.0.0.1,localhost", ","}) {
        const auto cl = cd::app::CommandLine::parse(
            {QStringLiteral("crawldeck"), QStringLiteral("--trusted-proxy"), QString::fromLatin1(bad)});
        EXPECT_TRUE(cl.error.contains(QStringLiteral("--trusted-proxy"))) << bad;
    }
    QTemporaryDir dir;
    const auto cl = cd::app::CommandLine::parse(
        {QStringLiteral("crawldeck"), QStringLiteral("--headless"), QStringLiteral("--data-dir"), dir.path(),
         QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"), QStringLiteral("--api-token"),
         QStringLiteral("right"), QStringLiteral("--auth-failure-limit"), QStringLiteral("2"),
         QStringLiteral("--trusted-proxy"), QStringLiteral("10.0.0.1, 127.0.0.1")});
    ASSERT_TRUE(cl.error.isEmpty()) << cl.error.toStdString();
    cd::app::Application app(cl);
    ASSERT_TRUE(app.start().ok());
    EXPECT_EQ(app.settings()->overriddenBy(cd::settings::Setting::TrustedProxies), QStringLiteral("--trusted-proxy"));
    EXPECT_FALSE(app.settings()->setTrustedProxies(QStringLiteral("10.0.0.2")));
    // One client behind the proxy cools down; the next one does not.
    for (const QByteArray &token : {QByteArray("wrong-1"), QByteArray("wrong-2")})
        EXPECT_EQ(cdtest::request(app.port(), "GET", "/api/jobs", {},
                                  {{"Authorization", "Bearer " + token}, {"X-Forwarded-For", "203.0.113.5"}})
                      .status,
                  401);
    EXPECT_EQ(cdtest::request(app.port(), "GET", "/api/jobs", {},
                              {{"Authorization", "Bearer right"}, {"X-Forwarded-For", "203.0.113.5"}})
                  .status,
              429);
    EXPECT_EQ(cdtest::request(app.port(), "GET", "/api/jobs", {},
                              {{"Authorization", "Bearer right"}, {"X-Forwarded-For", "203.0.113.6"}})
                  .status,
              200);
}
