include $(sort $(wildcard $(BR2_EXTERNAL_CARVEOUT_PATH)/package/*/*.mk))
