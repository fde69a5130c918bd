// The composition root itself: settings changed while running apply without a restart.
#include "application.h"
#include "commandline.h"
#include "settings/settings.h"
#include "testutil.h"

#include <QTcpServer>
#include <QTemporaryDir>

#include <gtest/gtest.h>

namespace {
quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}
} // namespace

TEST(Application, SavedSettingsApplyWithoutARestart)
{
    QTemporaryDir dir;
    const quint16 first = freePort();
    {
        // What an operator saved earlier: the listen address and the token.
        cd::settings::Settings saved(dir.path(), {}, QProcessEnvironment());
        saved.setListen({QStringLiteral("127.0.0.1"), first});
        saved.sync();
    }
    const auto cl = cd::app::CommandLine::parse(
        {QStringLiteral("crawldeck"), QStringLiteral("--headless"), QStringLiteral("--data-dir"), dir.path()});
    ASSERT_TRUE(cl.error.isEmpty()) << cl.error.toStdString();
    cd::app::Application app(cl);
    const auto st = app.start();
    ASSERT_TRUE(st.ok()) << st.error().detail.toStdString();
    ASSERT_EQ(app.port(), first);
    const QByteArray oldToken = app.settings()->apiToken().toUtf8();
    EXPECT_EQ(cdtest::getJson(first, "/api/jobs", oldToken).status, 200);

    // The settings dialog saves a new port, a new token and more slots, then asks the app to apply.
    const quint16 second = freePort();
    app.settings()->setListen({QStringLiteral("127.0.0.1"), second});
    const QByteArray newToken = app.settings()->regenerateApiToken().toUtf8();
    app.settings()->setLocalSlots(5);
    app.settings()->setLocalProfiles({{QStringLiteral("hello"), QStringLiteral("echo hi")}});
    const QString report = app.applySettings();
    EXPECT_TRUE(report.contains(QStringLiteral("now listening"))) << report.toStdString();
    ASSERT_EQ(app.port(), second);
    EXPECT_EQ(cdtest::getJson(first, "/health").status, 0); // the old listener is closed
    EXPECT_EQ(cdtest::getJson(second, "/api/jobs", oldToken).status, 401);
    EXPECT_EQ(cdtest::getJson(second, "/api/jobs", newToken).status, 200);
    const auto health = cdtest::getJson(second, "/health").json();
    EXPECT_EQ(health.value(QStringLiteral("backends"))
                  .toObject()
                  .value(QStringLiteral("local"))
                  .toObject()
                  .value(QStringLiteral("slots"))
                  .toInt(),
              5);
    const auto job = cdtest::postJson(second, "/api/jobs",
                                      QJsonObject{{QStringLiteral("profile"), QStringLiteral("hello")}}, newToken);
    EXPECT_EQ(job.status, 201) << job.body.toStdString(); // the new profile is known at once
}

// Issue 8: a failed move of the listener re-read the new address as its fallback and left the
// service down.
TEST(Bug, FailedListenerMoveFallsBackToTheOldAddress)
{
    QTemporaryDir dir;
    const quint16 first = freePort();
    {
        cd::settings::Settings saved(dir.path(), {}, QProcessEnvironment());
        saved.setListen({QStringLiteral("127.0.0.1"), first});
        saved.sync();
    }
    const auto cl =
        cd::app::CommandLine::parse({QStringLiteral("crawldeck"), QStringLiteral("--headless"),
                                     QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--strict-auth")});
    ASSERT_TRUE(cl.error.isEmpty()) << cl.error.toStdString();
    cd::app::Application app(cl);
    const auto st = app.start();
    ASSERT_TRUE(st.ok()) << st.error().detail.toStdString();
    ASSERT_EQ(app.port(), first);
    const QByteArray token = app.settings()->apiToken().toUtf8();

    // Someone else holds the new port.
    QTcpServer squatter;
    ASSERT_TRUE(squatter.listen(QHostAddress::LocalHost, 0));
    app.settings()->setListen({QStringLiteral("127.0.0.1"), squatter.serverPort()});
    const QString report = app.applySettings();
    EXPECT_TRUE(report.contains(QStringLiteral("listener not moved"))) << report.toStdString();
    EXPECT_TRUE(report.contains(QStringLiteral("still listening on http://127.0.0.1:%1").arg(first)))
        << report.toStdString();
    EXPECT_EQ(app.port(), first);
    EXPECT_EQ(cdtest::getJson(first, "/api/jobs", token).status, 200);
}
