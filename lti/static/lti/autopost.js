// Posts the signed deep-linking reply back to the LMS at once; the button stays for browsers without script.
document.querySelectorAll("form[data-lti-autopost]").forEach((form) => form.submit());
