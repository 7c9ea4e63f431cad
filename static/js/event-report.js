// "Use my location" on the event report form: fills the map point from the phone's GPS.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("use-location");
  if (!button) return;
  if (!("geolocation" in navigator)) {
    button.hidden = true;
    return;
  }
  const status = document.getElementById("location-status");
  button.addEventListener("click", () => {
    status.textContent = button.dataset.locating;
    navigator.geolocation.getCurrentPosition(
      (position) => {
        for (const [id, value] of [["id_latitude", position.coords.latitude], ["id_longitude", position.coords.longitude]]) {
          const input = document.getElementById(id);
          input.value = value.toFixed(6);
          input.dispatchEvent(new Event("change", { bubbles: true }));
        }
        status.textContent = button.dataset.done;
      },
      () => { status.textContent = button.dataset.failed; },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });
});
