// The desktop's saved connections: the list on disk (tokens never in it), the add/edit dialog, and
// the window switched at runtime between this computer's service and a real headless node, with a
// refused token asked again. Screens of the switcher, the dialog and the token prompt go to PNG.
#include "connectiondialog.h"
#include "connectionhost.h"
#include "connectionswitcher.h"
#include "headless.h"
#include "jobtablemodel.h"
#include "mainwindow.h"
#include "session/remotesession.h"
#include "sessions.h"
#include "settings/connections.h"
#include "stack.h"
#include "testutil.h"
#include "tokenprompt.h"

#include <QAbstractItemModelTester>
#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPainter>
#include <QProcess>
#include <QPushButton>
#include <QSslCertificate>
#include <QStatusBar>
#include <QTcpServer>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::Stack;
using cdtest::StackOptions;
using settings::ConnectionList;
using settings::SavedConnection;

namespace {

QByteArray fileText(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

quint16 closedPort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort(); // nobody listens once the probe is gone
}

QUrl local(quint16 port)
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
}

// This computer's service for a host: the test stack's session, started when the host asks.
struct LocalFor
{
    explicit LocalFor(Stack &st) : stack(st) {}
    ui::LocalService service()
    {
        ui::LocalService s;
        s.start = [this]() -> Result<session::Session *> {
            ++starts;
            if (!session)
                session = cdtest::localSession(stack);
            return session.get();
        };
        s.session = [this]() -> session::Session * { return session.get(); };
        s.decorate = [this](ui::MainWindow *w) { w->setServerInfo(local(stack.port()).toString(), QString()); };
        return s;
    }
    Stack &stack;
    std::unique_ptr<session::LocalSession> session;
    int starts = 0;
};

model::Job seedJob(Stack &st, const QString &keyword)
{
    model::JobSpec s;
    s.params.insert(QStringLiteral("keywords"), QJsonArray{keyword});
    return st.jobs->insert(s).value();
}

bool modelHas(ui::MainWindow *w, const QString &jobId)
{
    for (int r = 0; r < w->jobModel()->rowCount(); ++r)
        if (w->jobModel()->jobAt(r) && w->jobModel()->jobAt(r)->id == jobId)
            return true;
    return false;
}

// A job on the node that waits for an outside worker; its id, or empty (and a failure) when refused.
QString externalJobOn(cdtest::Headless &node)
{
    const auto created =
        cdtest::postJson(node.port(), "/api/jobs", QJsonObject{{QStringLiteral("profile"), QStringLiteral("external")}},
                         cdtest::Headless::kToken);
    EXPECT_EQ(created.status, 201) << created.body.toStdString();
    return created.status == 201 ? created.json().value(QStringLiteral("id")).toString() : QString();
}

} // namespace

// Saved, edited and removed through the list: names, URLs and pins in the ini file, the token in a
// 0600 file (no keychain here) and never in the ini file.
TEST(ConnectionList, SavesEditsAndRemovesWithTheTokenOutOfTheSettingsFile)
{
    QTemporaryDir dir;
    const QByteArray token = "tok-9f8e7d6c5b4a-secret";
    SavedConnection prod{
        {}, QStringLiteral("Production"), QUrl(QStringLiteral("https://crawl.example.org:8443/")), QByteArray(64, 'a')};
    {
        ConnectionList list(dir.path(), false);
        EXPECT_FALSE(list.keychainAnswers());
        const auto where = list.save(prod, token);
        ASSERT_TRUE(where) << where.error().detail.toStdString();
        EXPECT_FALSE(prod.id.isEmpty());
        EXPECT_EQ(where.value(), list.tokenFile(prod.id));
        const auto mode = QFileInfo(where.value()).permissions();
        EXPECT_TRUE(mode & QFileDevice::ReadOwner);
        EXPECT_FALSE(mode & (QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ReadOther |
                             QFileDevice::WriteOther))
            << "mode 0600";
    }
    ConnectionList list(dir.path(), false); // read back from disk
    const QByteArray ini = fileText(list.file());
    ASSERT_FALSE(ini.isEmpty());
    EXPECT_TRUE(ini.contains("crawl.example.org"));
    EXPECT_FALSE(ini.contains(token)) << ini.toStdString();
    EXPECT_EQ(fileText(list.tokenFile(prod.id)), token);

    const auto all = list.all();
    ASSERT_EQ(all.size(), 2);
    EXPECT_TRUE(all.first().isLocal());
    EXPECT_EQ(all.at(1).name, QStringLiteral("Production"));
    EXPECT_EQ(all.at(1).pinnedSha256, QByteArray(64, 'a'));
    EXPECT_EQ(list.token(prod.id).secret.toUtf8(), token);
    // The same server however its URL is written.
    const auto same = list.findByUrl(QUrl(QStringLiteral("https://CRAWL.example.org:8443")));
    ASSERT_TRUE(same);
    EXPECT_EQ(same->id, prod.id);
    EXPECT_FALSE(list.findByUrl(QUrl(QStringLiteral("http://crawl.example.org:8443"))));

    // Renamed with the token left as it was, then given a new one.
    prod.name = QStringLiteral("Prod EU");
    ASSERT_TRUE(list.save(prod, std::nullopt));
    EXPECT_EQ(list.find(prod.id)->name, QStringLiteral("Prod EU"));
    EXPECT_EQ(list.token(prod.id).secret.toUtf8(), token);
    ASSERT_TRUE(list.save(prod, QByteArray("tok-second")));
    EXPECT_EQ(list.token(prod.id).secret, QStringLiteral("tok-second"));
    EXPECT_FALSE(fileText(list.file()).contains("tok-second"));

    SavedConnection lab{{}, QStringLiteral("Lab"), QUrl(QStringLiteral("http://10.0.0.7:8000")), {}};
    ASSERT_TRUE(list.save(lab, QByteArray("tok-lab")));
    list.remove(prod.id);
    EXPECT_FALSE(list.find(prod.id));
    EXPECT_FALSE(QFile::exists(list.tokenFile(prod.id)));
    ASSERT_EQ(list.all().size(), 2);
    EXPECT_EQ(list.all().at(1).name, QStringLiteral("Lab"));
    list.remove(settings::kLocalConnection); // This computer stays
    EXPECT_TRUE(list.all().first().isLocal());
}

// Every problem at once; a URL without a scheme is https; "Test" asks /health and an
// authenticated route of a real server and says which of the two failed.
TEST(ConnectionDialog, ListsEveryProblemAndTestsTheServer)
{
    QTemporaryDir dir;
    ConnectionList list(dir.path(), false);
    SavedConnection lab{{}, QStringLiteral("Lab"), QUrl(QStringLiteral("http://10.0.0.7:8000")), {}};
    ASSERT_TRUE(list.save(lab, QByteArray("t")));

    ui::ConnectionDialog dlg(&list, std::nullopt);
    dlg.nameEdit()->setText(QStringLiteral("lab"));
    dlg.urlEdit()->setText(QStringLiteral("ftp://x"));
    dlg.pinEdit()->setText(QStringLiteral("12:34"));
    dlg.show();
    dlg.accept();
    EXPECT_TRUE(dlg.isVisible()) << "refused, not accepted";
    const QStringList problems = dlg.problems();
    EXPECT_EQ(problems.size(), 4) << problems.join(u'\n').toStdString(); // name taken, URL, token, pin
    for (const QString &p : problems)
        EXPECT_TRUE(dlg.errorText().contains(p.toHtmlEscaped())) << p.toStdString();

    QString why;
    EXPECT_EQ(ui::ConnectionDialog::serverUrl(QStringLiteral("crawl.example.org:8443"), &why),
              QUrl(QStringLiteral("https://crawl.example.org:8443")));
    EXPECT_FALSE(ui::ConnectionDialog::serverUrl(QStringLiteral("https://user:pw@host"), &why));

    Stack st;
    dlg.nameEdit()->setText(QStringLiteral("Test stack"));
    dlg.urlEdit()->setText(local(st.port()).toString());
    dlg.pinEdit()->clear();
    dlg.tokenEdit()->setText(QStringLiteral("wrong-token"));
    std::optional<bool> ok;
    QObject::connect(&dlg, &ui::ConnectionDialog::testFinished, &dlg, [&](bool r) { ok = r; });
    dlg.test();
    ASSERT_TRUE(cdtest::waitUntil([&] { return ok.has_value(); }, 15000));
    EXPECT_FALSE(*ok);
    EXPECT_TRUE(dlg.testResult().contains(QStringLiteral("Reachable"))) << dlg.testResult().toStdString();
    EXPECT_TRUE(dlg.testResult().contains(QStringLiteral("token was refused"))) << dlg.testResult().toStdString();

    ok.reset();
    dlg.tokenEdit()->setText(QString::fromLatin1(Stack::kToken));
    dlg.test();
    ASSERT_TRUE(cdtest::waitUntil([&] { return ok.has_value(); }, 15000));
    EXPECT_TRUE(*ok) << dlg.testResult().toStdString();
    EXPECT_TRUE(dlg.problems().isEmpty()) << dlg.problems().join(u'\n').toStdString();
    dlg.accept();
    EXPECT_FALSE(dlg.isVisible());
    EXPECT_EQ(dlg.connection().url, local(st.port()));
    EXPECT_EQ(dlg.token(), Stack::kToken);
}

// A self-signed server: Test is refused with the certificate's fingerprint, "Trust this
// certificate" pins it, and the next Test gets through on the pin.
TEST(ConnectionDialog, TrustsTheCertificateAFailedTestShowed)
{
    QTemporaryDir certDir;
    QString cert, key;
    if (!cdtest::makeTestCertificate(certDir.path(), &cert, &key))
        GTEST_SKIP() << "\n\n*** SKIPPED: openssl is missing; TLS was NOT exercised ***\n";
    const QByteArray sha256 = QSslCertificate::fromPath(cert).value(0).digest(QCryptographicHash::Sha256).toHex();
    Stack st(StackOptions().tls(cert, key));
    QTemporaryDir dir;
    ConnectionList list(dir.path(), false);
    ui::ConnectionDialog dlg(&list, std::nullopt);
    dlg.nameEdit()->setText(QStringLiteral("Self-signed"));
    dlg.urlEdit()->setText(QStringLiteral("127.0.0.1:%1").arg(st.port())); // https by default
    dlg.tokenEdit()->setText(QString::fromLatin1(Stack::kToken));
    std::optional<bool> ok;
    QObject::connect(&dlg, &ui::ConnectionDialog::testFinished, &dlg, [&](bool r) { ok = r; });
    dlg.test();
    ASSERT_TRUE(cdtest::waitUntil([&] { return ok.has_value(); }, 15000));
    EXPECT_FALSE(*ok);
    EXPECT_TRUE(dlg.testResult().contains(QStringLiteral("not trusted"))) << dlg.testResult().toStdString();
    ASSERT_FALSE(dlg.trustButton()->isHidden());
    ok.reset();
    dlg.trustButton()->click();
    EXPECT_EQ(cd::client::parsePin(dlg.pinEdit()->text()), sha256);
    ASSERT_TRUE(cdtest::waitUntil([&] { return ok.has_value(); }, 15000));
    EXPECT_TRUE(*ok) << dlg.testResult().toStdString();
    EXPECT_EQ(dlg.connection().pinnedSha256, sha256);
}

// Opened on a real headless node, the host starts no service of its own; switched to This computer
// it starts it then, and back on the node the status bar says it keeps running. Each window's job
// model runs under the model tester and shows the jobs of the service it is on.
TEST(ConnectionHost, SwitchesBetweenAHeadlessNodeAndThisComputer)
{
    QTemporaryDir dir;
    cdtest::Headless node(dir.path() + QStringLiteral("/node"));
    node.start();
    ASSERT_NE(node.port(), 0) << node.stderrText().toStdString();
    const QString remoteJob = externalJobOn(node);
    ASSERT_FALSE(remoteJob.isEmpty());

    Stack st;
    const QString localJob = seedJob(st, QStringLiteral("local-only")).id;
    ConnectionList list(dir.path() + QStringLiteral("/config"), false);
    SavedConnection srv{{}, QStringLiteral("Node"), local(node.port()), {}};
    ASSERT_TRUE(list.save(srv, QByteArray(cdtest::Headless::kToken)));

    LocalFor localService(st);
    ui::ConnectionHost host(&list, localService.service());
    host.setCacheRoot(dir.path() + QStringLiteral("/cache"));
    std::unique_ptr<QAbstractItemModelTester> tester;
    QObject::connect(&host, &ui::ConnectionHost::windowReplaced, &host, [&](ui::MainWindow *w) {
        tester = std::make_unique<QAbstractItemModelTester>(w->jobModel(),
                                                            QAbstractItemModelTester::FailureReportingMode::Fatal);
    });

    ASSERT_TRUE(host.open(srv.id));
    EXPECT_EQ(localService.starts, 0) << "attached to a server, the window starts no service";
    ASSERT_TRUE(cdtest::waitUntil([&] { return modelHas(host.window(), remoteJob); }, 15000));
    EXPECT_FALSE(modelHas(host.window(), localJob));
    EXPECT_EQ(host.switcher()->currentId(), srv.id);
    const QRect geometry(40, 30, 1100, 700);
    host.window()->setGeometry(geometry);

    // To This computer: its service starts now, the window shows its jobs at the same place.
    Q_EMIT host.switcher()->switchRequested(settings::kLocalConnection);
    ASSERT_TRUE(cdtest::waitUntil([&] { return host.current().isLocal(); }, 5000));
    EXPECT_EQ(localService.starts, 1);
    EXPECT_EQ(host.window()->geometry().size(), geometry.size());
    ASSERT_TRUE(cdtest::waitUntil([&] { return modelHas(host.window(), localJob); }, 15000));
    EXPECT_FALSE(modelHas(host.window(), remoteJob));

    // Back to the node: the local service keeps running, and the status bar says so.
    ASSERT_TRUE(host.open(srv.id));
    ASSERT_TRUE(cdtest::waitUntil([&] { return modelHas(host.window(), remoteJob); }, 15000));
    bool says = false;
    for (const QLabel *l : host.window()->statusBar()->findChildren<QLabel *>())
        says = says || l->text().contains(QStringLiteral("keeps running"));
    EXPECT_TRUE(says);
    EXPECT_EQ(localService.starts, 1);
    // Jobs created on the node meanwhile reach the new window's model live.
    const auto later =
        cdtest::postJson(node.port(), "/api/jobs", QJsonObject{{QStringLiteral("profile"), QStringLiteral("external")}},
                         cdtest::Headless::kToken);
    ASSERT_EQ(later.status, 201);
    EXPECT_TRUE(cdtest::waitUntil(
        [&] { return modelHas(host.window(), later.json().value(QStringLiteral("id")).toString()); }, 15000));
    // Added, edited and removed from the window: the dialogs are answered without a modal loop.
    host.addConnection();
    ASSERT_TRUE(host.dialog());
    host.dialog()->nameEdit()->setText(QStringLiteral("Spare"));
    host.dialog()->urlEdit()->setText(QStringLiteral("spare.example.org:8443"));
    host.dialog()->tokenEdit()->setText(QStringLiteral("tok-spare"));
    host.dialog()->accept();
    ASSERT_EQ(list.all().size(), 3);
    const SavedConnection spare = list.all().last();
    EXPECT_EQ(spare.url, QUrl(QStringLiteral("https://spare.example.org:8443")));
    EXPECT_EQ(list.token(spare.id).secret, QStringLiteral("tok-spare"));
    EXPECT_FALSE(fileText(list.file()).contains("tok-spare"));

    // The connection in use, renamed: the window attaches again under its new name.
    ui::MainWindow *before = host.window();
    host.editConnection(srv.id);
    ASSERT_TRUE(host.dialog());
    host.dialog()->nameEdit()->setText(QStringLiteral("Node 2"));
    host.dialog()->accept();
    ASSERT_TRUE(cdtest::waitUntil([&] { return host.current().name == QStringLiteral("Node 2"); }, 5000));
    EXPECT_NE(host.window(), before);
    EXPECT_EQ(list.token(srv.id).secret.toUtf8(), cdtest::Headless::kToken) << "an empty token field keeps it";
    ASSERT_TRUE(cdtest::waitUntil([&] { return modelHas(host.window(), remoteJob); }, 15000));

    QString asked;
    host.setConfirm([&](const QString &q) {
        asked = q;
        return true;
    });
    host.removeConnection(srv.id); // in use: stays
    EXPECT_TRUE(list.find(srv.id));
    host.removeConnection(spare.id);
    EXPECT_TRUE(asked.contains(QStringLiteral("Spare")));
    EXPECT_FALSE(list.find(spare.id));
    EXPECT_FALSE(QFile::exists(list.tokenFile(spare.id)));
}

// A refused token: the session says Unauthorized (not "offline"), the window asks again without a
// modal loop, the right token attaches it and is kept in place of the wrong one.
TEST(ConnectionHost, AWrongTokenIsAskedAgainAndTheRightOneKept)
{
    Stack st;
    const QString job = seedJob(st, QStringLiteral("behind-a-token")).id;
    QTemporaryDir dir;
    ConnectionList list(dir.path(), false);
    SavedConnection srv{{}, QStringLiteral("Stack"), local(st.port()), {}};
    ASSERT_TRUE(list.save(srv, QByteArray("not-the-token")));
    LocalFor localService(st);
    ui::ConnectionHost host(&list, localService.service());
    host.setCacheRoot(dir.path() + QStringLiteral("/cache"));
    ASSERT_TRUE(host.open(srv.id));
    ASSERT_TRUE(cdtest::waitUntil([&] { return host.tokenPrompt() != nullptr; }, 15000));
    EXPECT_EQ(host.session()->connectionState(), session::ConnectionState::Unauthorized);
    EXPECT_FALSE(modelHas(host.window(), job));
    QAbstractItemModelTester tester(host.window()->jobModel(), QAbstractItemModelTester::FailureReportingMode::Fatal);

    const QString shot = cdtest::screensDir() + QStringLiteral("/token-prompt.png");
    host.tokenPrompt()->tokenEdit()->setText(QStringLiteral("typed"));
    EXPECT_TRUE(host.tokenPrompt()->grab().save(shot));

    host.tokenPrompt()->tokenEdit()->setText(QString::fromLatin1(Stack::kToken));
    host.tokenPrompt()->accept();
    ASSERT_TRUE(cdtest::waitUntil([&] { return modelHas(host.window(), job); }, 15000));
    EXPECT_EQ(host.session()->connectionState(), session::ConnectionState::Connected);
    ASSERT_TRUE(cdtest::waitUntil([&] { return list.token(srv.id).secret.toUtf8() == Stack::kToken; }, 5000));
    EXPECT_FALSE(fileText(list.file()).contains(Stack::kToken));
}

// The switcher open on three connections of different health, the add-connection dialog showing
// its problems, rendered for a person to look at.
TEST(Screens, ConnectionSwitcherAndDialog)
{
    Stack st(StackOptions().withProfiles({{QStringLiteral("crawler"), QStringLiteral("sleep 30")}}));
    for (int i = 0; i < 3; ++i)
        seedJob(st, QStringLiteral("queued-%1").arg(i));
    st.scheduler->stop(); // the jobs below stay queued
    Stack other;
    other.scheduler->stop();
    seedJob(other, QStringLiteral("remote"));
    QTemporaryDir dir;
    ConnectionList list(dir.path(), false);
    SavedConnection prod{{}, QStringLiteral("Production"), local(other.port()), {}};
    SavedConnection gone{{}, QStringLiteral("Staging"), local(closedPort()), {}};
    ASSERT_TRUE(list.save(prod, QByteArray(Stack::kToken)));
    ASSERT_TRUE(list.save(gone, QByteArray("x")));
    LocalFor localService(st);
    ui::ConnectionHost host(&list, localService.service());
    ASSERT_TRUE(host.open(settings::kLocalConnection));
    ui::MainWindow *w = host.window();
    w->resize(1280, 720);
    w->show();
    ui::ConnectionSwitcher *sw = host.switcher();
    sw->refresh();
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            using S = ui::ConnectionHealth::State;
            return sw->health(settings::kLocalConnection).state == S::Reachable &&
                   sw->health(prod.id).state == S::Reachable && sw->health(gone.id).state == S::Unreachable;
        },
        15000));
    EXPECT_EQ(sw->health(settings::kLocalConnection).queued, 3);
    EXPECT_EQ(sw->health(prod.id).queued, 1);
    EXPECT_FALSE(sw->health(prod.id).version.isEmpty());

    QMenu *menu = sw->connectionMenu();
    const QPoint at = sw->mapTo(w, QPoint(0, sw->height()));
    menu->popup(w->mapToGlobal(at));
    ASSERT_TRUE(cdtest::waitUntil([&] { return menu->isVisible(); }, 2000));
    QPixmap shot = w->grab();
    {
        QPainter p(&shot);
        p.drawPixmap(at, menu->grab());
    }
    const QString dirOut = cdtest::screensDir();
    EXPECT_TRUE(shot.save(dirOut + QStringLiteral("/connection-switcher.png")));
    QStringList texts;
    for (QAction *a : menu->actions())
        texts << a->text();
    const QString all = texts.join(u'\n');
    EXPECT_TRUE(all.contains(QStringLiteral("3 queued"))) << all.toStdString();
    EXPECT_TRUE(all.contains(QStringLiteral("unreachable"))) << all.toStdString();
    menu->hide();

    host.addConnection();
    ASSERT_TRUE(host.dialog());
    ui::ConnectionDialog *dlg = host.dialog();
    dlg->nameEdit()->setText(QStringLiteral("Production"));
    dlg->urlEdit()->setText(QStringLiteral("crawl.example.org:8443"));
    dlg->pinEdit()->setText(QStringLiteral("AB:CD"));
    dlg->accept();
    EXPECT_FALSE(dlg->errorText().isEmpty());
    dlg->adjustSize();
    EXPECT_TRUE(dlg->grab().save(dirOut + QStringLiteral("/add-connection.png")));
    dlg->reject();
}

// `crawldeck --connect URL` with that URL saved: the saved token is used (no CRAWLDECK_API_TOKEN,
// no prompt), and the window attaches; no service of its own starts.
TEST(ConnectionHost, ConnectUsesTheSavedConnectionsToken)
{
    QTemporaryDir dir;
    cdtest::Headless node(dir.path() + QStringLiteral("/node"));
    node.start();
    ASSERT_NE(node.port(), 0) << node.stderrText().toStdString();
    // The window follows the newest job's log: a stream the server counts.
    ASSERT_FALSE(externalJobOn(node).isEmpty());
    auto streams = [&] {
        return cdtest::getJson(node.port(), "/health").json().value(QStringLiteral("streams")).toInt();
    };
    ASSERT_EQ(streams(), 0);

    const QString home = dir.path() + QStringLiteral("/home");
    {
        ConnectionList list(home + QStringLiteral("/.config/crawldeck"), false);
        SavedConnection srv{{}, QStringLiteral("Node"), local(node.port()), {}};
        ASSERT_TRUE(list.save(srv, QByteArray(cdtest::Headless::kToken)));
    }
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), home);
    for (const char *name : {"XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "CRAWLDECK_DATA_DIR",
                             "CRAWLDECK_URL", "CRAWLDECK_API_TOKEN", "DBUS_SESSION_BUS_ADDRESS"})
        env.remove(QString::fromLatin1(name));
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    QProcess window;
    window.setProcessEnvironment(env);
    // Written as a person might: a trailing slash, the saved entry has none.
    window.start(QStringLiteral(CRAWLDECK_BINARY),
                 {QStringLiteral("--connect"), QStringLiteral("http://127.0.0.1:%1/").arg(node.port())});
    ASSERT_TRUE(window.waitForStarted());
    const bool attached = cdtest::waitUntil([&] { return streams() >= 1; }, 20000);
    window.terminate();
    window.waitForFinished(10000);
    const QByteArray out = window.readAllStandardOutput() + window.readAllStandardError();
    EXPECT_TRUE(attached) << out.toStdString();
    EXPECT_FALSE(out.contains("listening on")) << out.toStdString();
    EXPECT_FALSE(QFileInfo::exists(home + QStringLiteral("/.local/share/crawldeck/crawldeck.lock")));
}
