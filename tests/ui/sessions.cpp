#include "sessions.h"

#include "delayedsession.h"
#include "logconsole.h"
#include "session/remotesession.h"

#include <QCoreApplication>
#include <QDir>
#include <QPalette>

namespace cdtest {

using cd::session::LocalSession;

std::unique_ptr<LocalSession> localSession(Stack &st, LocalSession::Answers answers)
{
    cd::session::LocalServices s;
    s.jobs = st.jobs.get();
    s.logs = st.logs.get();
    s.bus = st.bus.get();
    s.scheduler = st.scheduler.get();
    s.artifacts = st.artifacts.get();
    s.results = st.results.get();
    s.runpodClient = [&st] { return st.runpodClient.get(); };
    s.profiles = [&st] { return QStringList(st.local->profiles().keys()); };
    s.nodes = st.nodes.get();
    auto session = std::make_unique<LocalSession>(s);
    session->setAnswers(answers);
    return session;
}

std::vector<SessionKind> sessionKinds()
{
    return {
        {"Local", [](Stack &st) { return std::unique_ptr<cd::session::Session>(localSession(st)); }, false, false},
        {"LocalQueued",
         [](Stack &st) {
             return std::unique_ptr<cd::session::Session>(localSession(st, LocalSession::Answers::Queued));
         },
         true, false},
        {"Remote",
         [](Stack &st) {
             cd::client::ClientConfig config;
             config.baseUrl = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(st.port()));
             config.token = Stack::kToken;
             auto session = std::make_unique<cd::session::RemoteSession>(config);
             session->setCacheRoot(st.dataDir() + QStringLiteral("/remote-cache"));
             session->start();
             waitUntil([&] { return session->connectionState() == cd::session::ConnectionState::Connected; });
             return std::unique_ptr<cd::session::Session>(std::move(session));
         },
         true, true},
        {"Delayed",
         [](Stack &st) {
             return std::unique_ptr<cd::session::Session>(std::make_unique<DelayedSession>(localSession(st), 120));
         },
         true, false},
    };
}

std::optional<bool> searched(cd::ui::LogConsole &console, const std::function<void()> &start, int timeoutMs)
{
    std::optional<bool> found;
    QObject context;
    QObject::connect(&console, &cd::ui::LogConsole::searchFinished, &context, [&found](bool f) { found = f; });
    start();
    waitUntil([&] { return found.has_value(); }, timeoutMs);
    return found;
}

int rowFrom(const std::function<void(std::function<void(int)>)> &lookup, int timeoutMs)
{
    std::optional<int> row;
    lookup([&row](int r) { row = r; });
    waitUntil([&] { return row.has_value(); }, timeoutMs);
    return row.value_or(-2);
}

QString screensDir()
{
    const QString dir = QCoreApplication::applicationDirPath() + QStringLiteral("/screens");
    QDir().mkpath(dir);
    return dir;
}

QPalette darkPalette(const QPalette &base)
{
    QPalette dark = base;
    dark.setColor(QPalette::Window, QColor(0x2b2d30));
    dark.setColor(QPalette::WindowText, QColor(0xdfe1e5));
    dark.setColor(QPalette::Base, QColor(0x1e1f22));
    dark.setColor(QPalette::AlternateBase, QColor(0x26282b));
    dark.setColor(QPalette::Text, QColor(0xdfe1e5));
    dark.setColor(QPalette::Button, QColor(0x2b2d30));
    dark.setColor(QPalette::ButtonText, QColor(0xdfe1e5));
    dark.setColor(QPalette::PlaceholderText, QColor(0x8b949e));
    for (auto role : {QPalette::Text, QPalette::WindowText, QPalette::ButtonText})
        dark.setColor(QPalette::Disabled, role, QColor(0x6e7681));
    dark.setColor(QPalette::Light, QColor(0x3a3d41)); // the etch under disabled menu text
    return dark;
}

} // namespace cdtest
