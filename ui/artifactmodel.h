#pragma once

#include "model/artifact.h"

#include <QAbstractTableModel>

namespace cd::session {
class Session;
}

namespace cd::ui {

// A job's artifacts (result files), asked of the session again when the job ends, and the
// results the service is still downloading for it, with their progress.
class ArtifactModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ArtifactModel)
public:
    enum Column { Name, Size, Type, Source, ColumnCount };
    explicit ArtifactModel(session::Session *session, QObject *parent = nullptr);

    void setJob(const QString &jobId);
    void refresh();
    std::optional<model::Artifact> artifactAt(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    static QString humanSize(qint64 bytes);

    // A result download for this job: shown as a row until it finishes.
    void onDownloadProgress(const QString &jobId, const QString &name, qint64 received, qint64 total);
    void onDownloadFinished(const QString &jobId, const QString &name, bool ok);
    int downloadsInFlight() const { return static_cast<int>(m_downloads.size()); }

private:
    void onList(const QList<model::Artifact> &items);

    session::Session *m_session;
    quint64 m_generation = 0;
    QString m_jobId;
    QList<model::Artifact> m_items;
    struct Download
    {
        QString name;
        qint64 received = 0;
        qint64 total = -1;
    };
    QList<Download> m_downloads;
};

} // namespace cd::ui
