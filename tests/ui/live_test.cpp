// What the window's job table learns live, through every kind of session: jobs deleted by
// retention leave the table, announced on the feed or (remote) found missing after a reconnect;
// RunPod health and result downloads read through the server.
#include "artifacts/resultcollector.h"
#include "jobtablemodel.h"
#include "retentionrun.h"
#include "runpodemulator.h"
#include "session/remotesession.h"
#include "sessions.h"
#include "testutil.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::finishedJob;
using cdtest::SessionKind;
using cdtest::Stack;

namespace {

class Live : public ::testing::TestWithParam<SessionKind>
{};

} // namespace

TEST_P(Live, AJobDeletedByRetentionLeavesTheTable)
{
    Stack st(GetParam().listen ? cdtest::StackOptions{} : cdtest::StackOptions{}.noListen());
    const QString old = finishedJob(st, 40);
    const QString recent = finishedJob(st, 2);
    auto session = GetParam().make(st);
    QSignalSpy removed(session.get(), &session::Session::jobRemoved);
    ui::JobTableModel model(session.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    ASSERT_TRUE(cdtest::waitUntil([&] { return model.isLoaded() && model.rowCount() == 2; }));

    cdtest::RetentionRun sweep(st);
    ASSERT_TRUE(sweep.run());
    ASSERT_TRUE(cdtest::waitUntil([&] { return model.rowCount() == 1; }));
    EXPECT_EQ(model.rowOf(old), -1);
    EXPECT_EQ(model.rowOf(recent), 0);
    ASSERT_EQ(removed.size(), 1);
    EXPECT_EQ(removed.at(0).at(0).toString(), old);
}

INSTANTIATE_TEST_SUITE_P(Sessions, Live, ::testing::ValuesIn(cdtest::sessionKinds()),
                         [](const auto &info) { return info.param.name; });

// The notice never reached this window (it was down, or the node's NOTIFY was lost): after the
// event stream comes back, the jobs it showed beyond the newest page are read back, and the one
// the server answers 404 for leaves the table; the one it still has stays.
TEST(LiveRemote, AJobDeletedWhileTheStreamWasDownLeavesTheTableAfterTheReconnect)
{
    Stack st;
    const QString old = finishedJob(st, 40);
    const QString kept = finishedJob(st, 35);
    client::ClientConfig config;
    config.baseUrl = QUrl(st.baseUrl());
    config.token = Stack::kToken;
    session::RemoteSession remote(config);
    remote.setCacheRoot(st.dataDir() + QStringLiteral("/remote-cache"));
    remote.start();
    ASSERT_TRUE(cdtest::waitUntil([&] { return remote.connectionState() == session::ConnectionState::Connected; }));
    QSignalSpy removed(&remote, &session::Session::jobRemoved);
    ui::JobTableModel model(&remote);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    ASSERT_TRUE(cdtest::waitUntil([&] { return model.isLoaded() && model.rowCount() == 2; }));

    // Deleted without a word on the feed; then the stream starts over.
    cdtest::RetentionRun sweep(st, false);
    sweep.sweeper.setDays(38);
    ASSERT_TRUE(sweep.run());
    ASSERT_EQ(sweep.sweeper.jobsDeleted(), 1);
    ASSERT_EQ(model.rowCount(), 2) << "nothing was announced";
    remote.setToken(Stack::kToken);
    ASSERT_TRUE(cdtest::waitUntil([&] { return model.rowCount() == 1; }));
    EXPECT_EQ(model.rowOf(old), -1);
    EXPECT_EQ(model.rowOf(kept), 0);
    ASSERT_EQ(removed.size(), 1);
    EXPECT_EQ(removed.at(0).at(0).toString(), old);
    // Only the jobs the newest page did not have were read back: the deleted one, not the kept one.
    EXPECT_EQ(remote.readBackCount(), 1);
}

// The window's RunPod panel attached to a server: what the server's RunPod endpoint reports, and
// "not configured" from a server without the backend, as a local window would show them.
TEST(LiveRemote, RunPodHealthComesFromTheServer)
{
    cdtest::RunPodEmulator emu;
    emu.listen();
    for (const bool configured : {true, false}) {
        Stack st(configured ? cdtest::StackOptions().runpod(emu.endpointUrl(), emu.apiKey()) : cdtest::StackOptions{});
        client::ClientConfig config;
        config.baseUrl = QUrl(st.baseUrl());
        config.token = Stack::kToken;
        session::RemoteSession remote(config);
        const auto h = cdtest::await<session::RunPodHealth>(
            [&](QObject *context, session::Reply<session::RunPodHealth> done) { remote.runpodHealth(context, done); });
        ASSERT_TRUE(h.has_value() && h->has_value()) << configured;
        EXPECT_EQ(h->value().configured, configured);
        EXPECT_TRUE(h->value().error.isEmpty()) << h->value().error.toStdString();
        EXPECT_EQ(h->value().idle, configured ? 1 : 0);
    }
    EXPECT_EQ(emu.count(QStringLiteral("health")), 1);
}

// A result the server downloads for a job: its progress and end reach the remote window.
TEST(LiveRemote, AResultDownloadOnTheServerReachesTheWindow)
{
    cdtest::RunPodEmulator emu;
    emu.listen();
    emu.serveFile(QStringLiteral("result.csv"), "domain\na.example\n");
    Stack st;
    client::ClientConfig config;
    config.baseUrl = QUrl(st.baseUrl());
    config.token = Stack::kToken;
    session::RemoteSession remote(config);
    remote.start();
    ASSERT_TRUE(cdtest::waitUntil([&] { return remote.connectionState() == session::ConnectionState::Connected; }));
    QSignalSpy progress(&remote, &session::Session::resultDownloadProgress);
    QSignalSpy finished(&remote, &session::Session::resultDownloadFinished);
    const QString id = st.jobs->insert(model::JobSpec{})->id;
    QObject context;
    bool collected = false;
    const QString url = emu.filesBase() + QStringLiteral("/result.csv");
    QCoro::connect(st.results->collect(id, QJsonObject{{QStringLiteral("result_url"), url}}), &context,
                   [&](const artifacts::CollectReport &) { collected = true; });
    ASSERT_TRUE(cdtest::waitUntil([&] { return collected && finished.size() == 1; }));
    ASSERT_GE(progress.size(), 1);
    EXPECT_EQ(progress.at(0).at(0).toString(), id);
    EXPECT_EQ(progress.at(0).at(1).toString(), QStringLiteral("result.csv"));
    EXPECT_EQ(finished.at(0).at(0).toString(), id);
    EXPECT_EQ(finished.at(0).at(1).toString(), QStringLiteral("result.csv"));
    EXPECT_TRUE(finished.at(0).at(2).toBool());
}
