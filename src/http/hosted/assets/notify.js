// Tells the partner's page that opened or framed this one how the setup ended, so it
// need not poll. Messages go only to the origins the partner allowed.
(function () {
  var origins = (document.body.getAttribute('data-embed-origins') || '').split(' ').filter(Boolean);
  var outcome = document.body.querySelector('[data-outcome]');
  if (!outcome) return;
  var message = {
    type: 'latchkey:setup',
    status: outcome.getAttribute('data-outcome'),
    accountConnectorId: outcome.getAttribute('data-account-connector-id'),
  };
  var target = window.opener || (window.parent !== window ? window.parent : null);
  if (!target) return;
  origins.forEach(function (origin) {
    target.postMessage(message, origin);
  });
})();
