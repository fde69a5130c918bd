// The window over a session whose every answer and feed signal comes late (a slow link): the event
// loop keeps running while answers are held, and the models end up agreeing with the service.
#include "artifactmodel.h"
#include "delayedsession.h"
#include "jobdetailspane.h"
#include "jobfilterproxy.h"
#include "jobtablemodel.h"
#include "logconsole.h"
#include "logmodel.h"
#include "mainwindow.h"
#include "newjobdialog.h"
#include "sessions.h"
#include "testutil.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QTableView>
#include <QTimer>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::Stack;
using cdtest::StackOptions;
using model::JobStatus;

namespace {
// Accepts the next New job dialog once it is open (it opens when the session has answered), after
// `fill` set its fields.
void acceptNewJobDialog(const std::function<void(QWidget *)> &fill)
{
    auto *poll = new QTimer(qApp);
    poll->start(20);
    QObject::connect(poll, &QTimer::timeout, poll, [poll, fill] {
        auto *dlg = qobject_cast<ui::NewJobDialog *>(QApplication::activeModalWidget());
        if (!dlg)
            return;
        poll->deleteLater();
        fill(dlg);
        dlg->accept();
    });
}
} // namespace

TEST(DelayedSession, WindowStaysResponsiveAndModelsStayConsistent)
{
    constexpr int kDelayMs = 300;
    constexpr int kLines = 3000;
    Stack st(StackOptions().noListen().withProfiles(
        {{QStringLiteral("crawler"), QStringLiteral("sh -c 'i=1; while [ $i -le %1 ]; do echo \"[INFO] line $i\"; "
                                                    "i=$((i+1)); done; echo \"[ERROR] the last word\"; exit 3'")
                                         .arg(kLines)}}));
    cdtest::DelayedSession session(cdtest::localSession(st), kDelayMs);
    ui::MainWindow w(&session);
    w.setServerInfo(QStringLiteral("http://127.0.0.1:8000"), {});
    w.setConfirm([](const QString &) { return true; });
    w.resize(1100, 700);
    w.show();
    using Tester = QAbstractItemModelTester;
    Tester t1(w.jobModel(), Tester::FailureReportingMode::Fatal);
    Tester t2(w.proxy(), Tester::FailureReportingMode::Fatal);
    Tester t3(w.details()->console()->model(), Tester::FailureReportingMode::Fatal);
    Tester t4(w.details()->artifactModel(), Tester::FailureReportingMode::Fatal);

    // The event loop's heartbeat: the longest gap between two 10 ms ticks, and whether answers were
    // held while it beat.
    QElapsedTimer beat;
    beat.start();
    qint64 last = 0;
    qint64 longestGap = 0;
    int ticksWhileHeld = 0;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    QObject::connect(&tick, &QTimer::timeout, &tick, [&] {
        const qint64 now = beat.elapsed();
        longestGap = std::max(longestGap, now - last);
        last = now;
        if (session.held() > 0)
            ++ticksWhileHeld;
    });
    last = beat.elapsed();
    tick.start(10);

    acceptNewJobDialog([](QWidget *d) { d->findChildren<QLineEdit *>().value(0)->setText(QStringLiteral("tides")); });
    QElapsedTimer asked;
    asked.start();
    w.newJob(); // returns at once: the dialog opens when the backends have come
    EXPECT_LT(asked.elapsed(), kDelayMs);
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->jobs({}).size() == 1; }));
    const QString id = st.jobs->jobs({}).first().id;
    ASSERT_TRUE(cdtest::waitUntil([&] { return w.selectedJobId() == id; }));
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(id)->status == JobStatus::Failed; }, 20000));

    // The models catch up with the service: the table's row, every log line, the artifacts.
    ui::LogModel *log = w.details()->console()->model();
    qint64 lines = 0;
    ASSERT_TRUE(cdtest::waitUntil([&] {
        w.jobModel()->flushUpdates();
        const auto row = w.jobModel()->jobAt(w.jobModel()->rowOf(id));
        lines = st.logs->lastSeq(id);
        return row && row->status == JobStatus::Failed && log->rowCount() == lines;
    }));
    EXPECT_GE(lines, kLines + 1);
    auto lastLineShown = [&] {
        return log->index(static_cast<int>(lines - 1)).data(ui::LogModel::MessageRole).toString();
    };
    ASSERT_TRUE(cdtest::waitUntil([&] { return !lastLineShown().isEmpty(); }));
    const auto stored = st.logs->lines(store::LogQuery{id, lines - 1, 1, {}, {}});
    ASSERT_EQ(stored.size(), 1);
    EXPECT_EQ(lastLineShown(), stored.first().message);
    for (qint64 seq = 1; seq <= lines; seq += 97)
        ASSERT_EQ(log->seqForRow(static_cast<int>(seq - 1)), seq);

    // Search and the level filter go through the session too.
    ASSERT_EQ(
        cdtest::searched(*w.details()->console(), [&] { w.details()->console()->find(QStringLiteral("line 1500")); }),
        true);
    const QModelIndex match = log->index(w.details()->console()->currentRow());
    ASSERT_TRUE(cdtest::waitUntil([&] { return !match.data(ui::LogModel::PendingRole).toBool(); }));
    EXPECT_EQ(match.data(ui::LogModel::MessageRole).toString(), QStringLiteral("[INFO] line 1500"));
    w.details()->console()->findChildren<QComboBox *>().value(0)->setCurrentIndex(2); // errors only
    ASSERT_TRUE(cdtest::waitUntil([&] { return log->isLoaded() && log->rowCount() >= 1; }));
    ASSERT_TRUE(cdtest::waitUntil([&] { return !log->index(0).data(ui::LogModel::PendingRole).toBool(); }));
    EXPECT_EQ(log->index(0).data(ui::LogModel::MessageRole).toString(), QStringLiteral("[ERROR] the last word"));

    // Retry through the window: the new attempt is selected once its answer comes.
    w.retryJob();
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->retriesOf(id).size() == 1; }));
    const QString retryId = st.jobs->retriesOf(id).first().id;
    ASSERT_TRUE(cdtest::waitUntil([&] { return w.selectedJobId() == retryId; }));
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(retryId)->status == JobStatus::Failed; }, 20000));
    ASSERT_TRUE(cdtest::waitUntil([&] { return session.held() == 0; }));
    tick.stop();

    std::printf("[ metrics  ] delayed session %d ms: longest event-loop gap %lld ms, %d ticks while answers were "
                "held, %llu answers and signals delivered\n",
                kDelayMs, static_cast<long long>(longestGap), ticksWhileHeld,
                static_cast<unsigned long long>(session.delivered()));
    EXPECT_GT(ticksWhileHeld, 50);
    // Nothing waited for an answer: no gap near the delay (the machine is shared: generous margin).
    EXPECT_LT(longestGap, kDelayMs - 100);
}
