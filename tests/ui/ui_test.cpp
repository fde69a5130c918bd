#include "jobtablemodel.h"
#include "logmodel.h"
#include "mainwindow.h"
#include "newjobdialog.h"
#include "stack.h"
#include "testutil.h"

#include <QAbstractItemModelTester>
#include <QDir>
#include <QJsonArray>
#include <QLineEdit>
#include <QListView>
#include <QTableView>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::Stack;
using cdtest::StackOptions;
using model::JobStatus;

namespace {
QMap<QString, QString> profiles()
{
    return {{QStringLiteral("crawler"), QStringLiteral("sh -c 'for i in 1 2 3; do echo \"[INFO] Progress: $((i*33))%\"; done'")},
            {QStringLiteral("long"), QStringLiteral("sleep 30")}};
}

model::JobSpec spec(const QString &profile)
{
    model::JobSpec s;
    s.params.insert(QStringLiteral("profile"), profile);
    s.params.insert(QStringLiteral("keywords"), QJsonArray{QStringLiteral("solar")});
    return s;
}
} // namespace

TEST(JobTableModel, LiveInsertsAndUpdatesPassTheModelTester)
{
    Stack st(StackOptions().noListen().withProfiles(profiles()));
    ui::JobTableModel model(st.jobs.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    EXPECT_EQ(model.rowCount(), 0);
    const auto a = st.scheduler->submit(spec(QStringLiteral("crawler"))).value();
    const auto b = st.scheduler->submit(spec(QStringLiteral("long"))).value();
    ASSERT_EQ(model.rowCount(), 2);
    EXPECT_EQ(model.rowOf(b.id), 0); // newest first
    int changes = 0;
    QObject ctx;
    QObject::connect(&model, &QAbstractItemModel::dataChanged, &ctx, [&](const QModelIndex &tl, const QModelIndex &br) {
        EXPECT_EQ(tl.row(), br.row()); // per-row updates, never a reset
        ++changes;
    });
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(a.id)->status == JobStatus::Completed; }));
    EXPECT_GT(changes, 0);
    const int row = model.rowOf(a.id);
    EXPECT_EQ(model.index(row, ui::JobTableModel::Status).data().toString(), QStringLiteral("completed"));
    EXPECT_EQ(model.index(row, ui::JobTableModel::Progress).data(ui::JobTableModel::ProgressRole).toInt(), 100);
    EXPECT_EQ(model.rowCount(), 2);
}

TEST(LogModel, PagesFromTheStoreThenFollowsLiveLines)
{
    Stack st(StackOptions().noListen().withProfiles(profiles()));
    const auto job = st.jobs->insert(spec(QStringLiteral("long"))).value();
    QStringList lines;
    for (int i = 0; i < ui::LogModel::kPage * 2 + 10; ++i)
        lines << QStringLiteral("[INFO] stored %1").arg(i);
    st.bus->append(job.id, model::LogSource::Stdout, lines);

    ui::LogModel model(st.logs.get(), st.bus.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    model.setJob(job.id);
    EXPECT_EQ(model.rowCount(), ui::LogModel::kPage);
    // Live lines wait until the stored part is loaded, then arrive in order.
    st.bus->append(job.id, model::LogSource::Callback, QStringList{QStringLiteral("[ERROR] live")});
    EXPECT_EQ(model.rowCount(), ui::LogModel::kPage);
    while (model.canFetchMore({}))
        model.fetchMore({});
    EXPECT_EQ(model.rowCount(), lines.size() + 1);
    st.bus->append(job.id, model::LogSource::Callback, QStringList{QStringLiteral("[SUCCESS] later")});
    ASSERT_EQ(model.rowCount(), lines.size() + 2);
    const QModelIndex last = model.index(model.rowCount() - 1);
    EXPECT_TRUE(last.data().toString().endsWith(QStringLiteral("[SUCCESS] later")));
    EXPECT_EQ(last.data(ui::LogModel::SeqRole).toLongLong(), lines.size() + 2);
    EXPECT_EQ(model.index(model.rowCount() - 2).data(ui::LogModel::LevelRole).toInt(), static_cast<int>(model::LogLevel::Error));
    model.setJob(QString());
    EXPECT_EQ(model.rowCount(), 0);
}

TEST(NewJobDialog, BuildsASpecForTheChosenBackend)
{
    ui::NewJobDialog dlg({{model::Backend::Local, true, {}}, {model::Backend::RunPod, false, QStringLiteral("configure it")}},
                         {QStringLiteral("crawler"), QStringLiteral("scrapy")});
    auto *keywords = dlg.findChildren<QLineEdit *>().value(0);
    ASSERT_NE(keywords, nullptr);
    EXPECT_TRUE(std::holds_alternative<QString>(dlg.spec()));
    keywords->setText(QStringLiteral("solar panels, heat pumps"));
    const auto s = std::get<model::JobSpec>(dlg.spec());
    EXPECT_EQ(s.backend, model::Backend::Local);
    EXPECT_EQ(s.params.value(QStringLiteral("keywords")).toArray().size(), 2);
    EXPECT_EQ(s.params.value(QStringLiteral("profile")).toString(), QStringLiteral("crawler"));

    model::Job clone;
    clone.params = QJsonObject{{QStringLiteral("keywords"), QJsonArray{QStringLiteral("x")}},
                               {QStringLiteral("domain_count"), 7},
                               {QStringLiteral("profile"), QStringLiteral("scrapy")}};
    dlg.prefill(clone);
    const auto c = std::get<model::JobSpec>(dlg.spec());
    EXPECT_EQ(c.params.value(QStringLiteral("domain_count")).toInt(), 7);
    EXPECT_EQ(c.params.value(QStringLiteral("profile")).toString(), QStringLiteral("scrapy"));
}

TEST(MainWindow, ShowsJobsAndTheSelectedLogAndRendersToPng)
{
    Stack st(StackOptions().noListen().withProfiles(profiles()));
    ui::MainWindow w({st.jobs.get(), st.logs.get(), st.bus.get(), st.scheduler.get(), st.artifacts.get()});
    w.setServerInfo(QStringLiteral("http://127.0.0.1:8000"), {}, QStringLiteral("tok"), profiles().keys());
    w.resize(1200, 760);
    w.show();
    const auto done = st.scheduler->submit(spec(QStringLiteral("crawler"))).value();
    const auto running = st.scheduler->submit(spec(QStringLiteral("long"))).value();
    ASSERT_TRUE(cdtest::waitUntil([&] {
        return st.jobs->job(done.id)->status == JobStatus::Completed && st.jobs->job(running.id)->status == JobStatus::Running;
    }));
    auto *table = w.findChild<QTableView *>();
    ASSERT_NE(table, nullptr);
    EXPECT_EQ(table->model()->rowCount(), 2);
    w.selectJob(done.id);
    EXPECT_EQ(w.selectedJobId(), done.id);
    EXPECT_GE(w.logModel()->rowCount(), 4);
    cdtest::spin(100);
    const QString out = QDir::currentPath() + QStringLiteral("/screens");
    QDir().mkpath(out);
    EXPECT_TRUE(w.grab().save(out + QStringLiteral("/mainwindow.png")));
}
