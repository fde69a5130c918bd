#pragma once

#include "common/result.h"
#include "model/job.h"

#include <QDialog>
#include <QJsonObject>

#include <functional>
#include <variant>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;
class QLabel;
class QDialogButtonBox;
class QWidget;

namespace cd::session {
class Session;
}

namespace cd::ui {

// New job: backend switch, then only what applies to it: the built-in crawler's parameters as
// fields (the JSON box holds whatever else), a note about the chosen backend only, and every
// problem with the fields listed at once. Backends that are not configured stay visible but
// disabled, with the reason in their tooltip.
class NewJobDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NewJobDialog)
public:
    struct BackendChoice
    {
        model::Backend backend;
        bool available;
        QString reason; // why it is disabled
    };

    // With a session, what the service would also check before it stores a job (the backend and
    // its profile accept the spec) is asked of it as the fields change; null = only the request rules.
    NewJobDialog(const QList<BackendChoice> &backends, const QStringList &profiles, session::Session *session = nullptr,
                 QWidget *parent = nullptr);

    void prefill(const model::Job &job);
    // The create-job body the fields describe, as POST /api/jobs takes it (extra params merged in
    // when they parse; they win over the fields).
    QJsonObject body() const;
    // The spec the dialog describes (jobs::fromJson on body(), then the service's check once it
    // has answered for these fields), or every problem found, one per line; the same rules and
    // words as the HTTP API.
    std::variant<model::JobSpec, QString> spec() const;
    // Every problem found now, each naming its field (empty when the job can start).
    QStringList errors() const;
    // The note shown for the chosen backend and start URLs.
    QString note() const;

    // A start URL as typed, completed with https:// when it names no scheme.
    static QString completeUrl(const QString &typed);

private:
    bool local() const;
    // The built-in crawler runs the job, so its parameters are fields.
    bool crawlerFields() const;
    QStringList startUrls() const;
    // The extra params as typed: an object, or why not.
    std::variant<QJsonObject, QString> extraParams() const;
    // The body the fields describe; `skipBadUrls` leaves out lines that are no URL (their own
    // errors say so) so that the rest is still checked.
    QJsonObject buildBody(bool skipBadUrls) const;
    // Problems found here (jobs::fromJson field by field), then the spec of the rest, if any.
    QStringList localErrors(std::optional<model::JobSpec> *rest, QJsonObject *sent) const;
    void validate();
    void showState();

    QComboBox *m_backend;
    QComboBox *m_profile;
    QLabel *m_profileLabel;
    QLineEdit *m_keywords;
    QSpinBox *m_domains;
    QPlainTextEdit *m_startUrls;
    QWidget *m_crawlerBox;
    QSpinBox *m_maxPages;
    QSpinBox *m_maxDepth;
    QSpinBox *m_delay;
    QSpinBox *m_concurrency;
    QCheckBox *m_sameSite;
    QLineEdit *m_userAgent;
    QSpinBox *m_priority;
    QSpinBox *m_timeout;
    QSpinBox *m_attempts;
    QPlainTextEdit *m_rawParams;
    QLabel *m_backendNote;
    QLabel *m_error;
    QDialogButtonBox *m_buttons;
    QList<BackendChoice> m_backends;
    session::Session *m_session;
    bool m_touched = false; // problems are listed once someone has typed something
    quint64 m_checks = 0;
    QJsonObject m_checkedBody; // the fields the service's last answer is about
    QString m_checkError;      // and what it said (empty = fine)
};

} // namespace cd::ui
