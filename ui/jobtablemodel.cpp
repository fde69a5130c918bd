#include "jobtablemodel.h"

#include "colours.h"
#include "jobfacts.h"
#include "session/session.h"

#include <QBrush>
#include <QLocale>

#include <algorithm>
#include <iterator>

namespace cd::ui {

using model::JobStatus;

namespace {
QString duration(qint64 secs)
{
    if (secs < 0)
        return QStringLiteral("—");
    if (secs < 60)
        return QStringLiteral("%1 s").arg(secs);
    if (secs < 3600)
        return QStringLiteral("%1 min %2 s").arg(secs / 60).arg(secs % 60);
    return QStringLiteral("%1 h %2 min").arg(secs / 3600).arg((secs % 3600) / 60);
}

QString statusIcon(JobStatus s)
{
    switch (s) {
    case JobStatus::Queued: return QStringLiteral("◷");
    case JobStatus::Starting:
    case JobStatus::Running: return QStringLiteral("▶");
    case JobStatus::Completed: return QStringLiteral("✔");
    case JobStatus::Failed: return QStringLiteral("✖");
    case JobStatus::TimedOut: return QStringLiteral("◴");
    case JobStatus::Cancelling:
    case JobStatus::Cancelled: return QStringLiteral("■");
    }
    return {};
}
} // namespace

JobTableModel::JobTableModel(session::Session *session, QObject *parent)
    : QAbstractTableModel(parent), m_session(session)
{
    connect(m_session, &session::Session::jobAdded, this, &JobTableModel::onAdded);
    connect(m_session, &session::Session::jobChanged, this, &JobTableModel::onChanged);
    connect(m_session, &session::Session::jobRemoved, this, &JobTableModel::onRemoved);
    m_batch.setSingleShot(true);
    m_batch.setInterval(50);
    connect(&m_batch, &QTimer::timeout, this, &JobTableModel::flushUpdates);
    reload();
}

void JobTableModel::reload()
{
    const quint64 generation = ++m_generation;
    m_loading = true;
    m_fetching = false;
    m_seen.clear();
    m_addedMeanwhile.clear();
    m_removedMeanwhile.clear();
    model::JobFilter f;
    f.limit = kPage;
    m_session->jobs(f, this, [this, generation](Result<QList<model::Job>> page) {
        if (generation == m_generation)
            onFirstPage(page.value_or({}));
    });
}

model::Job JobTableModel::latest(const model::Job &job) const
{
    const auto it = m_seen.constFind(job.id);
    return it != m_seen.cend() && it->updatedAt >= job.updatedAt ? *it : job;
}

void JobTableModel::onFirstPage(const QList<model::Job> &page)
{
    beginResetModel();
    m_jobs.clear();
    // Added while the page was on its way and not in it: newer than all of it.
    for (auto it = m_addedMeanwhile.crbegin(); it != m_addedMeanwhile.crend(); ++it)
        if (!m_removedMeanwhile.contains(*it) &&
            std::none_of(page.cbegin(), page.cend(), [&](const model::Job &j) { return j.id == *it; }))
            m_jobs.append(m_seen.value(*it));
    for (const auto &j : page)
        if (!m_removedMeanwhile.contains(j.id))
            m_jobs.append(latest(j));
    m_more = page.size() == kPage;
    m_loading = false;
    m_dirty.clear();
    m_seen.clear();
    m_addedMeanwhile.clear();
    m_removedMeanwhile.clear();
    reindex();
    m_nodeJobs.clear();
    for (const auto &j : std::as_const(m_jobs))
        countNode(j.node, 1);
    endResetModel();
    nodesCounted();
    Q_EMIT loaded();
}

bool JobTableModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && m_more && !m_loading && !m_fetching;
}

void JobTableModel::fetchMore(const QModelIndex &parent)
{
    if (!canFetchMore(parent) || m_jobs.isEmpty())
        return;
    m_fetching = true;
    model::JobFilter f;
    f.limit = kPage;
    f.beforeId = m_jobs.last().id;
    const quint64 generation = m_generation;
    m_session->jobs(f, this, [this, generation](Result<QList<model::Job>> page) {
        if (generation != m_generation)
            return;
        m_fetching = false;
        if (!page)
            return; // the view asks again
        onPage(page.value());
    });
}

void JobTableModel::onPage(const QList<model::Job> &page)
{
    m_more = page.size() == kPage;
    QList<model::Job> fresh;
    for (const auto &j : page)
        if (!m_rows.contains(j.id) && !m_removedMeanwhile.contains(j.id))
            fresh.append(latest(j));
    m_seen.clear();
    m_addedMeanwhile.clear();
    m_removedMeanwhile.clear();
    if (fresh.isEmpty())
        return;
    const int first = static_cast<int>(m_jobs.size());
    beginInsertRows({}, first, first + static_cast<int>(fresh.size()) - 1);
    m_jobs.append(fresh);
    reindex(first);
    for (const auto &j : std::as_const(fresh))
        countNode(j.node, 1);
    endInsertRows();
    nodesCounted();
}

void JobTableModel::countNode(const QString &node, int delta)
{
    if (node.isEmpty())
        return;
    int &n = m_nodeJobs[node];
    n += delta;
    if (n <= 0)
        m_nodeJobs.remove(node);
}

void JobTableModel::nodesCounted()
{
    if (showsNodes() != m_showedNodes) {
        m_showedNodes = showsNodes();
        Q_EMIT showsNodesChanged(m_showedNodes);
    }
}

void JobTableModel::reindex(int from)
{
    if (from == 0)
        m_rows.clear();
    for (int i = from; i < m_jobs.size(); ++i)
        m_rows.insert(m_jobs.at(i).id, i);
}

int JobTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_jobs.size());
}

int JobTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

std::optional<model::Job> JobTableModel::jobAt(int row) const
{
    if (row < 0 || row >= m_jobs.size())
        return std::nullopt;
    return m_jobs.at(row);
}

int JobTableModel::rowOf(const QString &jobId) const
{
    return m_rows.value(jobId, -1);
}

QVariant JobTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_jobs.size())
        return {};
    const model::Job &j = m_jobs.at(index.row());
    const int column = index.column();
    const auto facts = [&j] { return JobFacts::of(j); };
    switch (role) {
    case JobIdRole: return j.id;
    case StatusRole: return static_cast<int>(j.status);
    case ProgressRole: return j.progress;
    case JobRole: return QVariant::fromValue(j);
    case BadgeRole: return facts().badge;
    case SortRole:
        // Values that sort correctly, unlike the display strings.
        switch (index.column()) {
        case Created: return j.createdAt;
        case Progress: return j.progress;
        case Duration: return j.durationSecs();
        case Attempt: return j.attempt;
        case Status: return static_cast<int>(j.status);
        case Found: return facts().found;
        case Pages: return facts().pages;
        case Errors: return facts().errors;
        default: return data(index, Qt::DisplayRole);
        }
    case Qt::ForegroundRole:
        if (column == Status) {
            // A completed job that fell short reads as a warning, not as plain success.
            const bool badge = !facts().badge.isEmpty();
            return QBrush(badge ? levelColour(model::LogLevel::Warning) : statusColour(j.status));
        }
        if (column == Errors && facts().errors > 0)
            return QBrush(levelColour(model::LogLevel::Error));
        return {};
    case Qt::ToolTipRole:
        if (column == Status && !j.error.isEmpty())
            return j.error;
        if (column == Status)
            return facts().badgeWhy.isEmpty() ? QVariant() : QVariant(facts().badgeWhy);
        if (column == What)
            return facts().what;
        if (column == Id)
            return j.id;
        if (index.column() == Node && !j.node.isEmpty())
            return tr("Runs or ran on node %1").arg(j.node);
        return {};
    case Qt::TextAlignmentRole:
        if (column == Attempt || column == Duration || column == Found || column == Pages || column == Errors)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::DisplayRole: break;
    default: return {};
    }
    switch (column) {
    case Id: return j.id.left(8);
    case What: return facts().what;
    case Backend: return model::toString(j.backend);
    case Status: {
        QString text = statusIcon(j.status) + u' ' + model::toString(j.status).replace(u'_', u' ');
        if (const QString badge = facts().badge; !badge.isEmpty())
            text += QStringLiteral(" · ") + badge;
        return text;
    }
    case Found: return facts().foundText();
    case Pages: return facts().pagesText();
    case Errors: {
        const int errors = facts().errors;
        return errors < 0 ? QString() : QString::number(errors);
    }
    case Progress: return QStringLiteral("%1%").arg(j.progress);
    case Created: return QLocale().toString(j.createdAt.toLocalTime(), QLocale::ShortFormat);
    case Duration: return duration(j.durationSecs());
    case Attempt: return QStringLiteral("%1/%2").arg(j.attempt).arg(j.maxAttempts);
    case Node: return j.node;
    default: break;
    }
    return {};
}

QVariant JobTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char *const names[] = {"Job",   "What",   "Backend", "Status",   "Progress", "Found",
                                        "Pages", "Errors", "Created", "Duration", "Attempt",  "Node"};
    static_assert(std::size(names) == ColumnCount);
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

int JobTableModel::defaultWidth(Column column)
{
    switch (column) {
    case Id: return 80;
    case What: return 300;
    case Backend: return 70;
    case Status: return 175;
    case Progress: return 110;
    case Found: return 70;
    case Pages: return 90;
    case Errors: return 55;
    case Created: return 150;
    case Duration: return 80;
    case Attempt: return 60;
    case Node: return 90;
    case ColumnCount: break;
    }
    return 80;
}

void JobTableModel::onAdded(const model::Job &job)
{
    if (m_loading) {
        m_seen.insert(job.id, job);
        m_addedMeanwhile.append(job.id);
        return;
    }
    if (m_rows.contains(job.id))
        return onChanged(job);
    beginInsertRows({}, 0, 0);
    m_jobs.prepend(job);
    reindex();
    countNode(job.node, 1);
    endInsertRows();
    nodesCounted();
}

void JobTableModel::onChanged(const model::Job &job)
{
    if (m_loading || m_fetching)
        m_seen.insert(job.id, job);
    const int row = rowOf(job.id);
    if (row < 0)
        return; // not paged in yet; it shows when it is
    countNode(m_jobs.at(row).node, -1);
    countNode(job.node, 1);
    m_jobs[row] = job;
    m_dirty.insert(job.id);
    if (!m_batch.isActive())
        m_batch.start();
    nodesCounted();
}

void JobTableModel::onRemoved(const QString &jobId)
{
    if (m_loading || m_fetching)
        m_removedMeanwhile.insert(jobId);
    const int row = rowOf(jobId);
    if (row < 0)
        return;
    beginRemoveRows({}, row, row);
    countNode(m_jobs.at(row).node, -1);
    m_jobs.removeAt(row);
    m_dirty.remove(jobId);
    reindex();
    endRemoveRows();
    nodesCounted();
}

void JobTableModel::flushUpdates()
{
    m_batch.stop();
    const auto dirty = std::exchange(m_dirty, {});
    for (const QString &id : dirty) {
        const int row = rowOf(id);
        if (row >= 0)
            Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    }
}

} // namespace cd::ui
