#pragma once

#include "connectionprobe.h"
#include "settings/connections.h"

#include <QDialog>

#include <optional>

class QLabel;
class QLineEdit;
class QPushButton;

namespace cd::ui {

// Adds or edits a saved server: name, URL, token, pinned certificate. "Test" asks the server's
// /health and an authenticated route and shows both answers; a certificate it refused can be
// pinned from there. Accepting checks every field and lists every problem at once.
class ConnectionDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionDialog)
public:
    // `editing` unset: a new connection.
    ConnectionDialog(const settings::ConnectionList *connections, std::optional<settings::SavedConnection> editing,
                     QWidget *parent = nullptr);

    // "host:8000" → https://host:8000; nullopt (and why) when it is no http(s) server URL.
    static std::optional<QUrl> serverUrl(const QString &text, QString *problem);

    // What is wrong with the fields now, every problem; empty when they can be saved.
    QStringList problems() const;
    // The connection as entered (valid once problems() is empty); its id is the edited one's.
    settings::SavedConnection connection() const;
    // The token typed; unset when editing and the field was left empty (the saved one stays).
    std::optional<QByteArray> token() const;

    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *urlEdit() const { return m_url; }
    QLineEdit *tokenEdit() const { return m_token; }
    QLineEdit *pinEdit() const { return m_pin; }
    QPushButton *trustButton() const { return m_trust; }
    QString testResult() const;
    QString errorText() const;

public Q_SLOTS:
    // Asks the server now; testFinished() when it answered.
    void test();
    void accept() override;

Q_SIGNALS:
    void testFinished(bool ok);

private:
    void showProblems(const QStringList &problems);
    void showTest(const ConnectionHealth &health);

    const settings::ConnectionList *m_connections;
    std::optional<settings::SavedConnection> m_editing;
    QLineEdit *m_name;
    QLineEdit *m_url;
    QLineEdit *m_token;
    QLineEdit *m_pin;
    QPushButton *m_testButton;
    QPushButton *m_trust;
    QLabel *m_result;
    QLabel *m_errors;
    QByteArray m_offeredPin;
    int m_testRound = 0;
};

} // namespace cd::ui
