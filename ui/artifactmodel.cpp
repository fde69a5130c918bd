#include "artifactmodel.h"

#include "store/jobstore.h"

#include <QLocale>

namespace cd::ui {

ArtifactModel::ArtifactModel(store::JobStore *store, QObject *parent) : QAbstractTableModel(parent), m_store(store)
{
    connect(m_store, &store::JobStore::jobChanged, this, [this](const model::Job &job) {
        if (job.id == m_jobId && model::isTerminal(job.status))
            refresh();
    });
}

void ArtifactModel::setJob(const QString &jobId)
{
    m_jobId = jobId;
    refresh();
}

void ArtifactModel::refresh()
{
    beginResetModel();
    m_items = m_jobId.isEmpty() ? QList<model::Artifact>() : m_store->artifacts(m_jobId);
    endResetModel();
}

std::optional<model::Artifact> ArtifactModel::artifactAt(int row) const
{
    if (row < 0 || row >= m_items.size())
        return std::nullopt;
    return m_items.at(row);
}

int ArtifactModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_items.size());
}

int ArtifactModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString ArtifactModel::humanSize(qint64 bytes)
{
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

QVariant ArtifactModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_items.size())
        return {};
    const model::Artifact &a = m_items.at(index.row());
    if (role == Qt::ToolTipRole)
        return QStringLiteral("sha256 %1").arg(a.sha256);
    if (role == Qt::TextAlignmentRole && index.column() == Size)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Name: return a.name;
    case Size: return humanSize(a.size);
    case Type: return a.mime;
    case Source: return a.sourceUrl.isEmpty() ? tr("written by the worker") : a.sourceUrl;
    default: break;
    }
    return {};
}

QVariant ArtifactModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    static const char *const names[] = {"Name", "Size", "Type", "Source"};
    return section >= 0 && section < ColumnCount ? tr(names[section]) : QVariant();
}

} // namespace cd::ui
