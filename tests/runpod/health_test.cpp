// `GET /api/runpod/health` against the RunPod emulator: the endpoint's counts, one call to RunPod per
// cache period however many clients ask, a failing RunPod still answered 200 with `error`, and a
// server without the backend saying so.
#include "http/runpodcontroller.h"
#include "runners/runpodhealth.h"
#include "runpodemulator.h"
#include "stack.h"
#include "testutil.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <gtest/gtest.h>

using cdtest::RunPodEmulator;
using cdtest::Stack;
using cdtest::StackOptions;

namespace {

QJsonObject health(Stack &st, int expectStatus = 200)
{
    const auto r = cdtest::getJson(st.port(), "/api/runpod/health", Stack::kToken);
    EXPECT_EQ(r.status, expectStatus) << r.body.toStdString();
    return QJsonDocument::fromJson(r.body).object();
}

} // namespace

TEST(RunPodHealthRoute, ReportsTheEndpointsWorkersAndCallsRunPodOncePerPeriod)
{
    RunPodEmulator emu;
    emu.listen();
    Stack st(StackOptions().runpod(emu.endpointUrl(), emu.apiKey()));
    const QJsonObject h = health(st);
    EXPECT_TRUE(h.value(QStringLiteral("configured")).toBool());
    EXPECT_TRUE(h.value(QStringLiteral("error")).isNull()) << QJsonDocument(h).toJson().toStdString();
    EXPECT_EQ(h.value(QStringLiteral("idle")).toInt(-1), 1); // the emulator's one ready worker
    EXPECT_EQ(h.value(QStringLiteral("running")).toInt(-1), 0);
    EXPECT_EQ(h.value(QStringLiteral("queued")).toInt(-1), 0);
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(health(st), h);
    EXPECT_EQ(emu.count(QStringLiteral("health")), 1) << "every client's ask went on to RunPod";
    EXPECT_EQ(st.runpodApi->healthCache()->calls(), 1u);

    // Past the cache age the next ask reads again.
    st.runpodApi->healthCache()->setMaxAgeMs(50);
    cdtest::waitUntil([] { return false; }, 80);
    health(st);
    EXPECT_EQ(emu.count(QStringLiteral("health")), 2);
}

TEST(RunPodHealthRoute, WithoutATokenIsRefused)
{
    RunPodEmulator emu;
    emu.listen();
    Stack st(StackOptions().runpod(emu.endpointUrl(), emu.apiKey()));
    EXPECT_EQ(cdtest::request(st.port(), "GET", "/api/runpod/health").status, 401);
    EXPECT_EQ(emu.count(QStringLiteral("health")), 0);
}

class RunPodHealthFailure : public ::testing::TestWithParam<int>
{};

TEST_P(RunPodHealthFailure, IsStill200WithTheErrorAndIsNotRetriedAtOnce)
{
    RunPodEmulator emu;
    emu.listen();
    emu.failNext(GetParam(), 1000, QStringLiteral("/health"));
    Stack st(StackOptions().runpod(emu.endpointUrl(), emu.apiKey()));
    const QJsonObject h = health(st);
    EXPECT_TRUE(h.value(QStringLiteral("configured")).toBool());
    EXPECT_FALSE(h.value(QStringLiteral("error")).toString().isEmpty()) << QJsonDocument(h).toJson().toStdString();
    EXPECT_EQ(h.value(QStringLiteral("idle")).toInt(-1), 0);
    const int calls = emu.count(QStringLiteral("health"));
    EXPECT_GE(calls, 1);
    EXPECT_EQ(health(st), h);
    EXPECT_EQ(emu.count(QStringLiteral("health")), calls) << "a failing RunPod was asked again within the period";
}

INSTANTIATE_TEST_SUITE_P(Status, RunPodHealthFailure, ::testing::Values(500, 429));

TEST(RunPodHealthRoute, WithoutTheBackendSaysNotConfigured)
{
    Stack st;
    const QJsonObject h = health(st);
    EXPECT_EQ(h.value(QStringLiteral("configured")), QJsonValue(false));
    EXPECT_TRUE(h.value(QStringLiteral("error")).isNull());
    EXPECT_EQ(h.value(QStringLiteral("idle")).toInt(-1), 0);
}
