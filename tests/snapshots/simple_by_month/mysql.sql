SELECT
  `t7`.`__p` AS `period`,
  `t7`.`__n0` AS `orders`,
  CAST(`t7`.`__n1` AS DOUBLE) AS `order_amount`
FROM (
  SELECT
    `t2`.`__p`,
    COALESCE(`t6`.`__n0`, 0) AS `__n0`,
    COALESCE(`t6`.`__n1`, 0) AS `__n1`
  FROM `onpace_periods_063a42815b05` AS `t2`
  LEFT OUTER JOIN (
    SELECT
      `t4`.`__p` AS `__g0p`,
      `t4`.`__n0`,
      `t4`.`__n1`
    FROM (
      SELECT
        `t3`.`__p`,
        COUNT(*) AS `__n0`,
        SUM(`t3`.`amount`) AS `__n1`
      FROM (
        SELECT
          `t1`.`amount`,
          `t1`.`order_date` AS `__d_order_date`,
          `t1`.`order_date` AS `__t`,
          DATE_FORMAT(`t1`.`order_date`, '%Y-%m-01') AS `__p`
        FROM `onpace_it_orders` AS `t1`
        WHERE
          `t1`.`order_date` <= DATE('2024-12-31')
          AND `t1`.`order_date` >= DATE('2024-01-01')
      ) AS `t3`
      GROUP BY
        1
    ) AS `t4`
  ) AS `t6`
    ON `t2`.`__p` = `t6`.`__g0p`
) AS `t7`
WHERE
  `t7`.`__p` >= DATE('2024-01-01')
