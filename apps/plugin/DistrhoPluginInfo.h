// The drumsynth kit instrument's description for DPF (one source for LV2,
// VST3 and CLAP): an instrument with no inputs, two outputs (the same mono
// kit in both), MIDI in, a kit file as its state, no UI.
#pragma once

#define DISTRHO_PLUGIN_NAME "drumsynth kit"
#define DISTRHO_PLUGIN_URI "https://drumsynth.invalid/plugins/kit"
#define DISTRHO_PLUGIN_CLAP_ID "org.drumsynth.kit"
#define DISTRHO_PLUGIN_CLAP_FEATURES "instrument", "drum-machine", "stereo"
#define DISTRHO_PLUGIN_LV2_CATEGORY "lv2:InstrumentPlugin"
#define DISTRHO_PLUGIN_VST3_CATEGORIES "Instrument|Drum"

#define DISTRHO_PLUGIN_HAS_UI 0
#define DISTRHO_PLUGIN_IS_RT_SAFE 1
#define DISTRHO_PLUGIN_IS_SYNTH 1
#define DISTRHO_PLUGIN_NUM_INPUTS 0
#define DISTRHO_PLUGIN_NUM_OUTPUTS 2
#define DISTRHO_PLUGIN_WANT_MIDI_INPUT 1
#define DISTRHO_PLUGIN_WANT_STATE 1
#define DISTRHO_PLUGIN_WANT_FULL_STATE 1
