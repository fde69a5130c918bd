// The job table that says what each job is and what it found: its columns and badges over every kind
// of session, the row's context menu, the menu bar and About, the header's columns kept across
// windows, the empty states, and screens of a busy day in light and dark palettes.
#include "aboutdialog.h"
#include "colours.h"
#include "emptystate.h"
#include "jobactions.h"
#include "jobdetailspane.h"
#include "jobfilterproxy.h"
#include "jobtablemodel.h"
#include "mainwindow.h"
#include "sessions.h"
#include "settings/settings.h"
#include "testutil.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QBrush>
#include <QClipboard>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QHeaderView>
#include <QJsonArray>
#include <QMenu>
#include <QMenuBar>
#include <QPainter>
#include <QPalette>
#include <QTableView>
#include <QTemporaryDir>

#include <gtest/gtest.h>

// Seeds name only the fields that matter to them (designated initializers).
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace cd;
using cdtest::Stack;
using cdtest::StackOptions;
using model::JobStatus;
using Col = ui::JobTableModel::Column;

namespace {

struct Seed
{
    model::Backend backend = model::Backend::Local;
    QStringList keywords;
    QStringList startUrls;
    QString profile;
    int domainCount = 10;
    JobStatus status = JobStatus::Completed;
    QJsonObject summary;
    QString remoteId;
    QString error;
};

QJsonObject summary(int found, int wanted, int pages, int maxPages, int errors, const QString &stoppedBy = {})
{
    QJsonObject s{{QStringLiteral("status"), found < wanted ? QStringLiteral("partial") : QStringLiteral("success")},
                  {QStringLiteral("partial"), found < wanted},
                  {QStringLiteral("domains_generated"),
                   QJsonObject{{QStringLiteral("success"), found}, {QStringLiteral("total"), wanted}}},
                  {QStringLiteral("pages"), pages},
                  {QStringLiteral("pages_done"), pages},
                  {QStringLiteral("max_pages"), maxPages},
                  {QStringLiteral("errors"), errors}};
    if (!stoppedBy.isEmpty())
        s.insert(QStringLiteral("stopped_by"), stoppedBy);
    return s;
}

// A job placed in the store in the given state (the scheduler is stopped: nothing runs it).
model::Job place(Stack &st, const Seed &seed)
{
    model::JobSpec s;
    s.backend = seed.backend;
    if (!seed.keywords.isEmpty())
        s.params.insert(QStringLiteral("keywords"), QJsonArray::fromStringList(seed.keywords));
    if (!seed.startUrls.isEmpty())
        s.params.insert(QStringLiteral("start_urls"), QJsonArray::fromStringList(seed.startUrls));
    if (!seed.profile.isEmpty())
        s.params.insert(QStringLiteral("profile"), seed.profile);
    s.params.insert(QStringLiteral("domain_count"), seed.domainCount);
    s.maxAttempts = 2;
    auto j = st.jobs->insert(s).value();
    store::JobPatch patch;
    if (!seed.summary.isEmpty())
        patch.summary = seed.summary;
    if (!seed.remoteId.isEmpty())
        patch.remoteId = seed.remoteId;
    if (!seed.error.isEmpty())
        patch.error = seed.error;
    if (seed.status == JobStatus::Queued)
        return j;
    EXPECT_TRUE(st.jobs->transition(j.id, JobStatus::Starting));
    EXPECT_TRUE(st.jobs->transition(j.id, JobStatus::Running));
    if (seed.status == JobStatus::Cancelled) {
        EXPECT_TRUE(st.jobs->transition(j.id, JobStatus::Cancelling));
    }
    if (seed.status == JobStatus::Running) {
        EXPECT_TRUE(st.jobs->update(j.id, patch));
    } else {
        EXPECT_TRUE(st.jobs->transition(j.id, seed.status, patch));
    }
    return st.jobs->job(j.id).value();
}

QAction *actionNamed(QMenu *menu, const QString &text)
{
    for (QAction *a : menu->actions())
        if (a->text() == text)
            return a;
    ADD_FAILURE() << "no action " << text.toStdString();
    static QAction none;
    return &none;
}

class TableTest : public testing::TestWithParam<cdtest::SessionKind>
{
protected:
    StackOptions options() const
    {
        StackOptions o;
        return GetParam().listen ? o : o.noListen();
    }
};

} // namespace

TEST_P(TableTest, ColumnsSayWhatEachJobIsAndFoundWithBadgesOnlyWhereDeserved)
{
    Stack st(options());
    st.scheduler->stop();
    const auto full = place(st, {.keywords = {QStringLiteral("solar"), QStringLiteral("photovoltaic")},
                                 .startUrls = {QStringLiteral("https://www.solar-news.example/list")},
                                 .profile = QStringLiteral("crawler"),
                                 .summary = summary(10, 10, 120, 200, 0)});
    const auto partial =
        place(st, {.keywords = {QStringLiteral("tides")},
                   .startUrls = {QStringLiteral("https://tides.example/"), QStringLiteral("https://sea.example/")},
                   .summary = summary(3, 10, 200, 200, 0, QStringLiteral("page_budget"))});
    const auto errors = place(st, {.keywords = {QStringLiteral("wind")},
                                   .startUrls = {QStringLiteral("wind.example")},
                                   .summary = summary(10, 10, 80, 200, 4)});
    const auto both = place(st, {.keywords = {QStringLiteral("hydro")},
                                 .startUrls = {QStringLiteral("https://hydro.example/")},
                                 .summary = summary(2, 10, 200, 200, 1, QStringLiteral("page_budget"))});
    const auto running = place(st, {.keywords = {QStringLiteral("geothermal")},
                                    .startUrls = {QStringLiteral("https://geo.example/")},
                                    .status = JobStatus::Running});
    const auto failed = place(st, {.keywords = {QStringLiteral("biogas")},
                                   .startUrls = {QStringLiteral("https://down.example/")},
                                   .status = JobStatus::Failed,
                                   .summary = summary(0, 10, 0, 200, 3),
                                   .error = QStringLiteral("no page could be fetched")});
    const auto runpod = place(st, {.backend = model::Backend::RunPod,
                                   .keywords = {QStringLiteral("nuclear")},
                                   .summary = summary(5, 5, 40, 100, 0),
                                   .remoteId = QStringLiteral("rp-77a1")});

    const auto session = GetParam().make(st);
    ui::JobTableModel model(session.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    ASSERT_TRUE(cdtest::waitUntil([&] { return model.rowCount() == 7; }));
    const auto cell = [&](const model::Job &j, Col c, int role = Qt::DisplayRole) {
        return model.index(model.rowOf(j.id), c).data(role);
    };

    EXPECT_EQ(cell(full, Col::What).toString(), QStringLiteral("solar, photovoltaic · solar-news.example · crawler"));
    EXPECT_EQ(cell(partial, Col::What).toString(), QStringLiteral("tides · tides.example +1"));
    EXPECT_EQ(cell(errors, Col::What).toString(), QStringLiteral("wind · wind.example"));
    EXPECT_EQ(cell(runpod, Col::What).toString(), QStringLiteral("nuclear · RunPod rp-77a1"));
    EXPECT_EQ(model.headerData(Col::What, Qt::Horizontal).toString(), QStringLiteral("What"));

    EXPECT_EQ(cell(full, Col::Found).toString(), QStringLiteral("10 / 10"));
    EXPECT_EQ(cell(partial, Col::Found).toString(), QStringLiteral("3 / 10"));
    EXPECT_EQ(cell(running, Col::Found).toString(), QStringLiteral("– / 10")); // the wish, before any summary
    EXPECT_EQ(cell(full, Col::Pages).toString(), QStringLiteral("120 / 200"));
    EXPECT_EQ(cell(running, Col::Pages).toString(), QString());
    EXPECT_EQ(cell(errors, Col::Errors).toString(), QStringLiteral("4"));
    EXPECT_EQ(cell(full, Col::Errors).toString(), QStringLiteral("0"));
    EXPECT_EQ(cell(partial, Col::Found, ui::JobTableModel::SortRole).toInt(), 3);
    EXPECT_EQ(cell(errors, Col::Errors, Qt::ForegroundRole).value<QBrush>().color(),
              ui::levelColour(model::LogLevel::Error));

    // Badges: only completed jobs that fell short or logged errors.
    EXPECT_TRUE(cell(full, Col::Status).toString().endsWith(QStringLiteral("completed")));
    EXPECT_EQ(cell(full, Col::Status, ui::JobTableModel::BadgeRole).toString(), QString());
    EXPECT_FALSE(cell(full, Col::Status, Qt::ToolTipRole).isValid());
    EXPECT_EQ(cell(full, Col::Status, Qt::ForegroundRole).value<QBrush>().color(),
              ui::statusColour(JobStatus::Completed));

    EXPECT_TRUE(cell(partial, Col::Status).toString().endsWith(QStringLiteral("completed · partial")));
    EXPECT_EQ(cell(partial, Col::Status, Qt::ToolTipRole).toString(),
              QStringLiteral("found 3 of 10 domains; stopped by page_budget"));
    EXPECT_EQ(cell(partial, Col::Status, Qt::ForegroundRole).value<QBrush>().color(),
              ui::levelColour(model::LogLevel::Warning));

    EXPECT_TRUE(cell(errors, Col::Status).toString().endsWith(QStringLiteral("completed · with errors")));
    EXPECT_EQ(cell(errors, Col::Status, Qt::ToolTipRole).toString(), QStringLiteral("4 errors logged"));

    // Short and with errors: "partial" is the badge, the tooltip says both.
    EXPECT_TRUE(cell(both, Col::Status).toString().endsWith(QStringLiteral("completed · partial")));
    EXPECT_EQ(cell(both, Col::Status, Qt::ToolTipRole).toString(),
              QStringLiteral("found 2 of 10 domains; stopped by page_budget; 1 error logged"));

    for (const auto &j : {running, failed}) {
        EXPECT_EQ(cell(j, Col::Status, ui::JobTableModel::BadgeRole).toString(), QString()) << j.id.toStdString();
        EXPECT_FALSE(cell(j, Col::Status).toString().contains(u'·')) << j.id.toStdString();
    }
    EXPECT_EQ(cell(failed, Col::Status, Qt::ToolTipRole).toString(), QStringLiteral("no page could be fetched"));

    // A job that finishes short gets its badge live, through the feed.
    const auto later = place(st, {.keywords = {QStringLiteral("tidal")},
                                  .startUrls = {QStringLiteral("https://tidal.example/")},
                                  .status = JobStatus::Running});
    ASSERT_TRUE(cdtest::waitUntil([&] { return model.rowOf(later.id) >= 0; }));
    store::JobPatch finish;
    finish.summary = summary(1, 10, 200, 200, 0, QStringLiteral("page_budget"));
    ASSERT_TRUE(st.jobs->transition(later.id, JobStatus::Completed, finish));
    ASSERT_TRUE(cdtest::waitUntil([&] {
        model.flushUpdates();
        return cell(later, Col::Status, ui::JobTableModel::BadgeRole).toString() == u"partial";
    }));
}

TEST_P(TableTest, ContextMenuActionsFollowTheJobStateAndCopyTheRightText)
{
    Stack st(options());
    st.scheduler->stop();
    const auto running = place(st, {.keywords = {QStringLiteral("solar")},
                                    .startUrls = {QStringLiteral("https://a.example/")},
                                    .status = JobStatus::Running});
    const auto failed = place(st, {.keywords = {QStringLiteral("wind")},
                                   .startUrls = {QStringLiteral("https://b.example/")},
                                   .status = JobStatus::Failed,
                                   .error = QStringLiteral("boom")});
    const auto done = place(st, {.keywords = {QStringLiteral("hydro")},
                                 .startUrls = {QStringLiteral("https://c.example/")},
                                 .summary = summary(10, 10, 50, 200, 0)});
    QStringList lines;
    for (int i = 1; i <= 6500; ++i) // more than one page of the export
        lines << QStringLiteral("[INFO] line %1").arg(i);
    st.bus->append(done.id, model::LogSource::Stdout, lines);
    st.logs->flush();
    QDir().mkpath(st.artifacts->outputDir(done.id));

    const auto session = GetParam().make(st);
    ui::MainWindow w(session.get());
    w.setConfirm([](const QString &) { return false; });
    ASSERT_TRUE(cdtest::waitUntil([&] { return w.jobModel()->rowCount() == 3; }));

    struct Expect
    {
        model::Job job;
        bool cancel, retry, callback, exportLog;
    };
    for (const auto &e : {Expect{running, true, false, true, false}, Expect{failed, false, true, false, false},
                          Expect{done, false, false, false, true}}) {
        w.selectJob(e.job.id);
        ASSERT_TRUE(cdtest::waitUntil([&] {
            w.jobModel()->flushUpdates();
            return w.selectedJobId() == e.job.id && w.jobActions()->job() && w.jobActions()->job()->id == e.job.id &&
                   (!e.exportLog || w.jobActions()->job()->logCount == 6500);
        }));
        std::unique_ptr<QMenu> menu(w.jobMenu());
        const std::string id = e.job.id.toStdString();
        EXPECT_TRUE(actionNamed(menu.get(), QStringLiteral("Open"))->isEnabled()) << id;
        EXPECT_EQ(actionNamed(menu.get(), QStringLiteral("Cancel"))->isEnabled(), e.cancel) << id;
        EXPECT_EQ(actionNamed(menu.get(), QStringLiteral("Retry"))->isEnabled(), e.retry) << id;
        EXPECT_TRUE(actionNamed(menu.get(), QStringLiteral("Clone"))->isEnabled()) << id;
        EXPECT_TRUE(actionNamed(menu.get(), QStringLiteral("Copy id"))->isEnabled()) << id;
        EXPECT_EQ(actionNamed(menu.get(), QStringLiteral("Copy callback URL"))->isEnabled(), e.callback) << id;
        EXPECT_EQ(actionNamed(menu.get(), QStringLiteral("Export log…"))->isEnabled(), e.exportLog) << id;
        // Only the finished job has a folder, and only a session on this machine shows it.
        EXPECT_EQ(actionNamed(menu.get(), QStringLiteral("Open output folder"))->isEnabled(),
                  e.job.id == done.id && session->can(session::Capability::LocalFiles))
            << id;

        QApplication::clipboard()->clear();
        actionNamed(menu.get(), QStringLiteral("Copy id"))->trigger();
        EXPECT_EQ(QApplication::clipboard()->text(), e.job.id);
    }

    w.selectJob(running.id);
    ASSERT_TRUE(cdtest::waitUntil([&] { return w.jobActions()->job() && w.jobActions()->job()->id == running.id; }));
    QApplication::clipboard()->clear();
    std::unique_ptr<QMenu> menu(w.jobMenu());
    actionNamed(menu.get(), QStringLiteral("Copy callback URL"))->trigger();
    ASSERT_TRUE(cdtest::waitUntil([&] { return !QApplication::clipboard()->text().isEmpty(); }));
    EXPECT_EQ(QApplication::clipboard()->text(), st.callbackUrlFor(running.id));

    // Export log… writes every line, in order, across pages.
    QTemporaryDir out;
    const QString path = out.filePath(QStringLiteral("done.log"));
    w.selectJob(done.id);
    ASSERT_TRUE(cdtest::waitUntil([&] { return w.jobActions()->job() && w.jobActions()->job()->id == done.id; }));
    w.jobActions()->setExportPath([&](const QString &suggested) {
        EXPECT_TRUE(suggested.endsWith(done.id.left(8) + QStringLiteral(".log")));
        return path;
    });
    QString said;
    QObject::connect(w.jobActions(), &ui::JobActions::message, &w, [&](const QString &m) { said = m; });
    w.jobActions()->exportLog()->trigger();
    ASSERT_TRUE(cdtest::waitUntil([&] { return said.startsWith(QStringLiteral("Log saved to")); }))
        << said.toStdString();
    QFile f(path);
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    const QStringList written = QString::fromUtf8(f.readAll()).split(u'\n', Qt::SkipEmptyParts);
    ASSERT_EQ(written.size(), 6500);
    EXPECT_TRUE(written.first().endsWith(QStringLiteral(" [INFO] line 1"))) << written.first().toStdString();
    EXPECT_TRUE(written.last().endsWith(QStringLiteral(" [INFO] line 6500"))) << written.last().toStdString();
}

INSTANTIATE_TEST_SUITE_P(Sessions, TableTest, testing::ValuesIn(cdtest::sessionKinds()),
                         [](const testing::TestParamInfo<cdtest::SessionKind> &info) { return info.param.name; });

TEST(JobTable, HiddenAndMovedColumnsComeBackInANewWindow)
{
    Stack st(StackOptions().noListen());
    QTemporaryDir dir;
    settings::Settings prefsStore(dir.path(), {}, QProcessEnvironment());
    ui::Preferences prefs;
    prefs.settings = &prefsStore;
    const auto session = cdtest::localSession(st);
    {
        ui::MainWindow w(session.get(), prefs);
        QHeaderView *h = w.table()->horizontalHeader();
        EXPECT_FALSE(h->isSectionHidden(Col::Errors));
        EXPECT_EQ(h->sectionSize(Col::Status), ui::JobTableModel::defaultWidth(Col::Status));
        QMenu columns;
        w.fillColumnMenu(&columns);
        for (QAction *a : columns.actions()) // the Node column follows the nodes, the id names the row
            EXPECT_TRUE(a->text() != u"Node" && a->text() != u"Job") << a->text().toStdString();
        QAction *errors = actionNamed(&columns, QStringLiteral("Errors"));
        EXPECT_TRUE(errors->isChecked());
        errors->setChecked(false);
        EXPECT_TRUE(h->isSectionHidden(Col::Errors));
        h->moveSection(h->visualIndex(Col::Found), 1);
        h->resizeSection(Col::Status, 240);
    }
    ui::MainWindow again(session.get(), prefs);
    QHeaderView *h = again.table()->horizontalHeader();
    EXPECT_TRUE(h->isSectionHidden(Col::Errors));
    EXPECT_EQ(h->visualIndex(Col::Found), 1);
    EXPECT_EQ(h->sectionSize(Col::Status), 240);

    // Restore default columns puts everything back, and that is saved too.
    QMenu columns;
    again.fillColumnMenu(&columns);
    actionNamed(&columns, QStringLiteral("Restore default columns"))->trigger();
    ui::MainWindow third(session.get(), prefs);
    h = third.table()->horizontalHeader();
    EXPECT_FALSE(h->isSectionHidden(Col::Errors));
    EXPECT_EQ(h->visualIndex(Col::Found), Col::Found);
}

TEST(JobTable, EmptyStatesSayWhatToDoNext)
{
    Stack st(StackOptions().noListen());
    st.scheduler->stop();
    const auto session = cdtest::localSession(st);
    ui::MainWindow w(session.get());
    w.resize(1280, 700);
    w.show();
    ui::EmptyState *empty = w.emptyState();
    EXPECT_FALSE(empty->isHidden());
    EXPECT_EQ(empty->text(), QStringLiteral("No jobs yet — New job… (Ctrl+N) or POST /api/crawler/start"));
    EXPECT_GT(empty->width(), 400); // centred across the viewport, not a sliver
    cdtest::spin(50);
    const QString dir = cdtest::screensDir();
    EXPECT_TRUE(w.grab().save(dir + QStringLiteral("/table-empty.png")));

    const auto job = place(st, {.keywords = {QStringLiteral("solar")}, .status = JobStatus::Queued});
    ASSERT_TRUE(cdtest::waitUntil([&] { return w.jobModel()->rowCount() == 1; }));
    EXPECT_TRUE(empty->isHidden());

    w.setFilterText(QStringLiteral("nothing-like-this"));
    ASSERT_TRUE(cdtest::waitUntil([&] { return w.proxy()->rowCount() == 0; }));
    EXPECT_FALSE(empty->isHidden());
    EXPECT_EQ(empty->text(), QStringLiteral("No jobs match the filter"));
    w.setFilterText({});
    EXPECT_TRUE(empty->isHidden());
}

TEST(JobTable, MenuBarHasTheUsualMenusShortcutsAndAnAboutNamingTheServer)
{
    Stack st(StackOptions().noListen());
    const auto session = cdtest::localSession(st);
    ui::MainWindow w(session.get());
    w.setAttachedTo(QStringLiteral("https://crawl.example.org:8443"));
    QStringList titles;
    QHash<QString, QString> shortcuts; // shortcut → action text
    for (QAction *m : w.menuBar()->actions()) {
        titles << m->text();
        for (QAction *a : m->menu()->actions())
            if (!a->shortcut().isEmpty())
                shortcuts.insert(a->shortcut().toString(), a->text());
    }
    EXPECT_EQ(titles, (QStringList{QStringLiteral("&File"), QStringLiteral("&Edit"), QStringLiteral("&View"),
                                   QStringLiteral("&Help")}));
    EXPECT_EQ(shortcuts.value(QStringLiteral("Ctrl+N")), QStringLiteral("New job"));
    EXPECT_EQ(shortcuts.value(QStringLiteral("Ctrl+Q")), QStringLiteral("&Quit"));
    EXPECT_EQ(shortcuts.value(QStringLiteral("F5")), QStringLiteral("&Refresh"));
    EXPECT_EQ(shortcuts.value(QStringLiteral("Ctrl+F")), QStringLiteral("Find"));
    EXPECT_EQ(shortcuts.value(QStringLiteral("Ctrl+Shift+O")), QStringLiteral("Nodes"));

    ui::AboutDialog about(w.serverDescription());
    EXPECT_TRUE(about.text().contains(QStringLiteral("attached to https://crawl.example.org:8443")))
        << about.text().toStdString();
    EXPECT_TRUE(about.text().contains(QStringLiteral("Qt ") + QString::fromLatin1(qVersion())));
    w.setServerInfo(QStringLiteral("http://127.0.0.1:8000"), {});
    EXPECT_TRUE(
        ui::AboutDialog(w.serverDescription()).text().contains(QStringLiteral("serving on http://127.0.0.1:8000")));

    // The details pane collapses so the table takes the room.
    w.resize(1200, 800);
    w.show();
    cdtest::spin(50);
    const int tall = w.table()->height();
    w.detailsAction()->setChecked(false);
    cdtest::spin(50);
    EXPECT_FALSE(w.details()->isVisible());
    EXPECT_GT(w.table()->height(), tall + 150);
}

// Screens of a busy day (a mix of statuses, badges, keywords and hosts), the row menu open and About,
// in light and dark palettes: <build>/tests/screens/table-*.png, for a person to look at.
TEST(Screens, JobTableOfABusyDayItsMenuAndAboutInLightAndDark)
{
    Stack st(StackOptions().noListen());
    st.scheduler->stop();
    const auto url = [](const char *host) { return QStringList{QStringLiteral("https://") + QLatin1String(host)}; };
    const auto kw = [](std::initializer_list<const char *> words) {
        QStringList l;
        for (const char *w : words)
            l << QLatin1String(w);
        return l;
    };
    place(st, {.keywords = kw({"solar", "photovoltaic"}),
               .startUrls = url("www.pv-magazine.example/news"),
               .profile = QStringLiteral("crawler"),
               .summary = summary(10, 10, 143, 200, 0)});
    place(st, {.keywords = kw({"heat pump"}),
               .startUrls = url("heatpumps.example/installers"),
               .profile = QStringLiteral("crawler"),
               .summary = summary(4, 10, 200, 200, 0, QStringLiteral("page_budget"))});
    place(st, {.keywords = kw({"wind turbine", "offshore"}),
               .startUrls = url("offshorewind.example"),
               .profile = QStringLiteral("crawler"),
               .summary = summary(10, 10, 96, 200, 7)});
    place(st, {.backend = model::Backend::RunPod,
               .keywords = kw({"battery storage"}),
               .summary = summary(25, 25, 310, 500, 0),
               .remoteId = QStringLiteral("9f3c2e7a-e1")});
    place(st, {.keywords = kw({"hydrogen"}),
               .startUrls = url("h2-news.example"),
               .status = JobStatus::Failed,
               .summary = summary(0, 10, 0, 200, 3),
               .error = QStringLiteral("no page could be fetched from the start URLs (h2-news.example: HTTP 503)")});
    place(st, {.keywords = kw({"biogas"}), .startUrls = url("biogas.example"), .status = JobStatus::Cancelled});
    place(st, {.backend = model::Backend::RunPod,
               .keywords = kw({"geothermal"}),
               .status = JobStatus::TimedOut,
               .remoteId = QStringLiteral("41aa09c3-e1"),
               .error = QStringLiteral("timed out after 900 s")});
    place(st, {.keywords = kw({"tidal energy"}),
               .startUrls = url("marine-energy.example"),
               .profile = QStringLiteral("crawler"),
               .status = JobStatus::Running});
    place(st, {.keywords = kw({"smart grid", "demand response"}),
               .startUrls = url("gridnews.example"),
               .profile = QStringLiteral("crawler"),
               .status = JobStatus::Running});
    place(st, {.keywords = kw({"e-bike"}), .startUrls = url("cycling.example"), .status = JobStatus::Queued});
    const auto selected = place(st, {.keywords = kw({"insulation", "retrofit"}),
                                     .startUrls = url("www.buildings.example"),
                                     .profile = QStringLiteral("crawler"),
                                     .summary = summary(6, 10, 200, 200, 2, QStringLiteral("page_budget"))});
    st.bus->append(selected.id, model::LogSource::Stdout,
                   {QStringLiteral("[INFO] crawling https://www.buildings.example"),
                    QStringLiteral("[WARNING] found 6 of 10 domains in 200 pages; stopped by page_budget")});
    st.logs->flush();

    const QPalette original = QApplication::palette();
    const QPalette dark = cdtest::darkPalette(original);
    const QString dir = cdtest::screensDir();
    const auto session = cdtest::localSession(st);
    for (const auto &[name, palette] : {std::pair{"light", original}, std::pair{"dark", dark}}) {
        QApplication::setPalette(palette);
        ui::MainWindow w(session.get());
        w.setServerInfo(QStringLiteral("http://127.0.0.1:8000"), {});
        w.resize(1400, 820);
        w.show();
        ASSERT_TRUE(cdtest::waitUntil([&] { return w.jobModel()->rowCount() == 11; }));
        w.selectJob(selected.id);
        cdtest::spin(150);
        EXPECT_TRUE(w.emptyState()->isHidden());
        EXPECT_TRUE(w.grab().save(dir + QStringLiteral("/table-busy-%1.png").arg(QLatin1String(name))));

        // The row menu, drawn where it opens (it is a window of its own).
        std::unique_ptr<QMenu> menu(w.jobMenu());
        const QRect row = w.table()->visualRect(
            w.proxy()->mapFromSource(w.jobModel()->index(w.jobModel()->rowOf(selected.id), ui::JobTableModel::What)));
        const QPoint at = w.table()->viewport()->mapTo(&w, row.center());
        menu->popup(w.mapToGlobal(at));
        cdtest::spin(100);
        QPixmap shot = w.grab();
        {
            QPainter p(&shot);
            p.drawPixmap(at, menu->grab());
        }
        EXPECT_TRUE(shot.save(dir + QStringLiteral("/table-menu-%1.png").arg(QLatin1String(name))));
        menu->hide();

        ui::AboutDialog about(w.serverDescription(), &w);
        about.show();
        cdtest::spin(50);
        EXPECT_TRUE(about.grab().save(dir + QStringLiteral("/table-about-%1.png").arg(QLatin1String(name))));
        about.hide();

        // And the empty table, as a first start shows it.
        w.setFilterText(QStringLiteral("no-such-job"));
        cdtest::spin(100);
        EXPECT_TRUE(w.grab().save(dir + QStringLiteral("/table-nomatch-%1.png").arg(QLatin1String(name))));
    }
    QApplication::setPalette(original);
}
