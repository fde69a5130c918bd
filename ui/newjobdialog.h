#pragma once

#include "common/result.h"
#include "model/job.h"

#include <QDialog>
#include <QJsonObject>

#include <functional>
#include <variant>

class QComboBox;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;
class QLabel;
class QDialogButtonBox;

namespace cd::session {
class Session;
}

namespace cd::ui {

// New job: backend switch, then only what applies to it. Backends that are not configured stay
// visible but disabled, with the reason in their tooltip.
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
    // The create-job body the fields describe, as POST /api/jobs takes it.
    QJsonObject body() const;
    // The spec the dialog describes (jobs::fromJson on body(), then the service's check once it
    // has answered for these fields), or an error text for the first invalid field; the same rules
    // and words as the HTTP API.
    std::variant<model::JobSpec, QString> spec() const;

private:
    // jobs::fromJson on the fields; `sent` is the body it read.
    std::variant<model::JobSpec, QString> requestSpec(QJsonObject *sent = nullptr) const;
    void validate();
    void showState();

    QComboBox *m_backend;
    QComboBox *m_profile;
    QLabel *m_profileLabel;
    QLineEdit *m_keywords;
    QSpinBox *m_domains;
    QPlainTextEdit *m_startUrls;
    QSpinBox *m_priority;
    QSpinBox *m_timeout;
    QSpinBox *m_attempts;
    QPlainTextEdit *m_rawParams;
    QLabel *m_backendNote;
    QLabel *m_error;
    QDialogButtonBox *m_buttons;
    session::Session *m_session;
    quint64 m_checks = 0;
    QJsonObject m_checkedBody; // the fields the service's last answer is about
    QString m_checkError;      // and what it said (empty = fine)
};

} // namespace cd::ui
